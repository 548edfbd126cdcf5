"""Service configuration: one Settings object, read from the environment and .env.

Each concern declares its own group (database, Redis, cache, HTTP, uploads, ...)
next to the code that uses it, and receives only that group; the generated
strategies add theirs. Settings joins them: names are the environment
variables, upper-cased, without prefixes.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from .auth.settings import LoginLimitSettings
from .cache.settings import CacheSettings
from .db.backend import BackendSettings
from .error_tracking import ErrorTrackingSettings
from .logs import LoggingSettings
from .metrics import MetricsSettings
from .middleware.settings import HttpSettings
from .server import ServerSettings
from .sessions.strategy import StrategySettings as SessionStrategySettings
from .uploads.strategy import StrategySettings as UploadStrategySettings
from .users.settings import PasswordSettings


class Settings(
    BaseSettings,
    LoggingSettings,
    ErrorTrackingSettings,
    BackendSettings,
    CacheSettings,
    MetricsSettings,
    UploadStrategySettings,
    PasswordSettings,
    LoginLimitSettings,
    SessionStrategySettings,
    HttpSettings,
    ServerSettings,
):
    """Every setting of the service."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
