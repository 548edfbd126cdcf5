"""What every session strategy is configured with; each strategy adds its own."""

from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator

from ..environment import MIN_SECRET_LENGTH
from ..redis_client import RedisSettings

PLACEHOLDER_SECRET = "change-me"  # noqa: S105  # refused in production


class SessionSettings(RedisSettings):
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    # Secure attribute on session cookies: sent over HTTPS only. Production refuses false.
    cookie_secure: bool = True

    @model_validator(mode="after")
    def refuse_unsafe_sessions_in_production(self) -> Self:
        if not self.is_production:
            return self
        secret = self.secret_key.get_secret_value()
        if secret == PLACEHOLDER_SECRET or len(secret) < MIN_SECRET_LENGTH:
            msg = f"SECRET_KEY must be a random string of at least {MIN_SECRET_LENGTH} characters"
            raise ValueError(msg)
        if not self.cookie_secure:
            msg = "COOKIE_SECURE must be true in production: session cookies go over HTTPS only"
            raise ValueError(msg)
        return self
