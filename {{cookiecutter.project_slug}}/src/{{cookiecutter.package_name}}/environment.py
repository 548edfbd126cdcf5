"""Where the service runs: the settings every other group of settings may consult."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from . import DISTRIBUTION

# Refused in production wherever a default stands in for a real secret.
MIN_SECRET_LENGTH = 32


class EnvironmentSettings(BaseModel):
    app_env: Literal["dev", "test", "prod"] = "dev"
    service_name: str = DISTRIBUTION

    @property
    def is_production(self) -> bool:
        return self.app_env == "prod"
