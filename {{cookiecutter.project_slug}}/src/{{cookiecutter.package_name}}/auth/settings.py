"""Limits on failed logins and on registrations."""

from __future__ import annotations

from pydantic import Field

from ..redis_client import RedisSettings


class LoginLimitSettings(RedisSettings):
    # Failed logins allowed per window, per email and per client IP, before 429.
    login_max_failures_per_email: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=50, ge=1)
    login_failure_window: int = Field(default=15 * 60, ge=1)  # seconds
    registration_max_per_ip: int = Field(
        default=10,
        ge=1,
        description="Registrations per client IP and window (taken addresses too) before 429.",
    )
    registration_window: int = Field(
        default=3600,
        ge=1,
        description="Seconds from an IP's first registration until its count resets.",
    )
