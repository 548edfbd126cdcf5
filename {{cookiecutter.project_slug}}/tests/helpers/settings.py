"""Settings for tests, and the production-like variant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.settings import Settings

SettingsFactory = Callable[..., Settings]
# Waits for a pooled connection or a Redis answer are long: on a busy machine the
# defaults (a second, a quarter for the cache) pass now and then, and a test about
# those waits sets its own.
PATIENT_WAITS = {
    "db_pool_timeout": 10,
    "redis_pool_timeout": 10,
    "redis_connect_timeout": 10,
    "redis_socket_timeout": 10,
    "cache_redis_timeout": 10,
}
# What every test's settings have. Password hashing is made cheap (argon2id at 1 pass
# over 1 MiB, where production refuses less than 2 passes over 19 MiB): the tests hash
# hundreds of passwords.
TEST_VALUES: dict[str, Any] = {
    "app_env": "test",
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 1024,
    **PATIENT_WAITS,
}
# The tests' cheap password hashing is refused in production: the defaults instead.
PRODUCTION_HASHING = {
    name: Settings.model_fields[name].default
    for name in ("password_hash_time_cost", "password_hash_memory_kib")
}


def production_settings(make_settings: SettingsFactory, **overrides: Any) -> Settings:
    """Settings that production accepts, from make_settings; keywords override them."""
    values: dict[str, Any] = {
        "app_env": "prod",
        "secret_key": "k" * 48,
        **PRODUCTION_HASHING,
        # Not the local S3 server's key, which prod refuses (these settings store nothing).
        "aws_secret_access_key": "a-production-bucket-key",
        "metrics_token": "m" * 48,
    }
    # The SQLite test database lives in a temporary directory, which prod refuses.
    if backend.NAME == "sqlite":
        values["database_url"] = "sqlite:////srv/service/service.db"
    return make_settings(**(values | overrides))
