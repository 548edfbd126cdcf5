"""Fixtures every test may use; none needs a server (tests/integration/conftest.py adds those).

A unit test's settings name addresses where nothing answers: one that reaches for the
database, Redis or S3 fails at once instead of passing by luck.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.settings import Settings

from .helpers.clients import running_client
from .helpers.database import configured_database_url
from .helpers.network import free_port, unreachable_redis_url, unreachable_url
from .helpers.settings import TEST_VALUES, SettingsFactory


@pytest.fixture
def redis_namespace() -> str:
    """A Redis key prefix of this test alone: runs and tests sharing a Redis never meet."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_settings(redis_namespace: str) -> SettingsFactory:
    """Settings with no server behind them; keyword arguments override fields."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            **TEST_VALUES,
            "database_url": unreachable_url(configured_database_url()),
            "redis_url": unreachable_redis_url(),
            "redis_namespace": redis_namespace,
            "s3_endpoint_url": f"http://127.0.0.1:{free_port()}",
            "s3_bucket": "unit-tests",
            "aws_access_key_id": "local-dev-key",
            "aws_secret_access_key": "local-dev-secret",
        }
        return Settings(_env_file=None, **(values | overrides))

    return make


@pytest.fixture
async def client(make_settings: SettingsFactory) -> AsyncIterator[AsyncClient]:
    """A client of the service built from make_settings (the integration tests' own
    make_settings in tests/integration)."""
    async with running_client(make_settings()) as client:
        yield client
