"""Password hashing settings."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from ..environment import EnvironmentSettings

# OWASP's floor for argon2id (19 MiB, 2 passes); production refuses less.
MIN_PASSWORD_HASH_MEMORY_KIB = 19 * 1024
MIN_PASSWORD_HASH_TIME_COST = 2


class PasswordSettings(EnvironmentSettings):
    # argon2id cost; lower it only in tests (production refuses values below OWASP's floor).
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=8)

    @model_validator(mode="after")
    def refuse_weak_hashing_in_production(self) -> Self:
        if self.is_production and (
            self.password_hash_memory_kib < MIN_PASSWORD_HASH_MEMORY_KIB
            or self.password_hash_time_cost < MIN_PASSWORD_HASH_TIME_COST
        ):
            msg = (
                f"PASSWORD_HASH_MEMORY_KIB must be at least {MIN_PASSWORD_HASH_MEMORY_KIB} and "
                f"PASSWORD_HASH_TIME_COST at least {MIN_PASSWORD_HASH_TIME_COST} in production"
            )
            raise ValueError(msg)
        return self
