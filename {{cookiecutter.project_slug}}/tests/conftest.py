"""Fixtures every test may use; none needs a server (tests/integration/conftest.py adds those).

A unit test's settings name addresses where nothing answers: one that reaches for the
database, Redis or S3 fails at once instead of passing by luck.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.settings import Settings

from .helpers.clients import running_client
from .helpers.database import configured_database_url
from .helpers.network import free_port, unreachable_redis_url, unreachable_url
from .helpers.processes import ServiceProcess, service_main
from .helpers.settings import TEST_VALUES, SettingsFactory
{%- if cookiecutter.database == 'postgresql' %}

pytest_plugins = ["tests.helpers.pgbouncer"]  # pytest --pgbouncer
{%- endif %}


@pytest.fixture
def redis_namespace() -> str:
    """A Redis key prefix of this test alone: runs and tests sharing a Redis never meet."""
    return f"test-{uuid.uuid4().hex[:12]}"


def settings_without_servers(redis_namespace: str, **overrides: Any) -> Settings:
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


@pytest.fixture
def make_settings(redis_namespace: str) -> SettingsFactory:
    """Settings with no server behind them; keyword arguments override fields."""

    def make(**overrides: Any) -> Settings:
        return settings_without_servers(redis_namespace, **overrides)

    return make


@pytest.fixture(scope="session")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The service as its users start it (python -m <package>), with no server behind
    it: one process for the tests of what only a real HTTP server shows."""
    settings = settings_without_servers(f"test-{uuid.uuid4().hex[:12]}")
    with service_main(settings, tmp_path_factory.mktemp("serving") / "service.log") as service:
        yield service


@pytest.fixture
async def client(make_settings: SettingsFactory) -> AsyncIterator[AsyncClient]:
    """A client of the service built from make_settings (the integration tests' own
    make_settings in tests/integration)."""
    async with running_client(make_settings()) as client:
        yield client
