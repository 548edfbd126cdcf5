"""Fixtures of the tests against real servers: one fresh database (migrated with Alembic)
and one S3 bucket per run, a Redis namespace per test, and nothing left behind a test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.db.engine import create_engine
from {{ cookiecutter.package_name }}.redis_client import (
    RedisClient,
    create_redis,
    redis_key,
)
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.uploads.storage import Storage, create_storage

from ..helpers.bucket import empty_bucket
from ..helpers.clients import running_user_client
from ..helpers.database import TABLES, configured_database_url, migrate, throwaway_url
from ..helpers.redis_servers import RedisDeployment, redis_cluster, redis_mode, redis_sentinel
from ..helpers.settings import TEST_VALUES, SettingsFactory

# A failover needs replicas: with one node (REDIS_MODE=single) there is nothing to run.
collect_ignore = ["test_redis_failover.py"] if redis_mode() == "single" else []


@pytest.fixture(scope="session")
def redis_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisDeployment | None]:
    """With REDIS_MODE=cluster or sentinel, that deployment of real servers, started
    for this run; None with REDIS_MODE=single (the default): REDIS_URL's one node."""
    mode = redis_mode()
    if mode == "single":
        yield None
        return
    start = {"cluster": redis_cluster, "sentinel": redis_sentinel}[mode]
    with start(tmp_path_factory.mktemp(f"redis-{mode}")) as deployment:
        yield deployment


@pytest.fixture(scope="session")
def redis_settings(redis_deployment: RedisDeployment | None) -> dict[str, Any]:
    """The settings naming the run's Redis, whichever REDIS_MODE."""
    if redis_deployment is not None:
        return redis_deployment.settings
    return {"redis_url": os.environ.get("REDIS_URL") or Settings().redis_url}


@pytest.fixture(scope="session")
def redis_url(redis_deployment: RedisDeployment | None, redis_settings: dict[str, Any]) -> str:
    """REDIS_URL from the environment, else from .env (the local default): for the
    tests of one node (a proxy in front of it, say), skipped in the other modes."""
    if redis_deployment is not None:
        pytest.skip("a test of one Redis node; REDIS_MODE is not single")
    url: str = redis_settings["redis_url"]
    return url


@pytest.fixture(scope="session")
def s3_settings(redis_settings: dict[str, Any]) -> dict[str, Any]:
    """S3_ENDPOINT_URL and the access key from the environment, else from .env."""
    configured = Settings()
    endpoint = os.environ.get("S3_ENDPOINT_URL") or configured.s3_endpoint_url
    if not endpoint:
        pytest.fail(
            "S3_ENDPOINT_URL is not set: the tests upload to a real S3-compatible server "
            "(docker compose up s3, or any SeaweedFS/MinIO) and create a bucket of their own."
        )
    secret = configured.aws_secret_access_key
    return {
        "s3_endpoint_url": endpoint,
        "s3_region": os.environ.get("S3_REGION") or configured.s3_region,
        "aws_access_key_id": os.environ.get("AWS_ACCESS_KEY_ID") or configured.aws_access_key_id,
        "aws_secret_access_key": os.environ.get("AWS_SECRET_ACCESS_KEY")
        or (secret.get_secret_value() if secret else None),
    }


@pytest.fixture(scope="session")
def s3_bucket(s3_settings: dict[str, Any], redis_settings: dict[str, Any]) -> Iterator[str]:
    """A bucket of this run alone, emptied and deleted at the end."""
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    settings = Settings(
        _env_file=None,
        database_url=configured_database_url(),
        s3_bucket=bucket,
        **redis_settings,
        **s3_settings,
    )

    async def create() -> None:
        async with create_storage(settings) as storage:
            await storage.client.create_bucket(Bucket=bucket)

    async def delete() -> None:
        async with create_storage(settings) as storage:
            await empty_bucket(storage)
            await storage.client.delete_bucket(Bucket=bucket)

    asyncio.run(create())
    yield bucket
    asyncio.run(delete())


@pytest.fixture(scope="session")
def make_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Creates throwaway databases and drops them all at the end of the run."""
    created: list[URL] = []

    def make() -> str:
        url = throwaway_url(tmp_path_factory.mktemp("db"))
        asyncio.run(backend.create_database(url))
        created.append(url)
        return url.render_as_string(hide_password=False)

    yield make
    for url in created:
        asyncio.run(backend.drop_database(url))


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[], str], redis_settings: dict[str, Any]) -> str:
    """One fresh database for the whole run, migrated to head."""
    url = make_database()
    migrate(Settings(_env_file=None, database_url=url, app_env="test", **redis_settings))
    return url


@pytest.fixture
def make_settings(
    database_url: str,
    redis_settings: dict[str, Any],
    redis_namespace: str,
    s3_settings: dict[str, Any],
    s3_bucket: str,
) -> SettingsFactory:
    """Settings for the test database, Redis namespace and bucket; keyword arguments
    override fields (a redis_url names one node, whichever REDIS_MODE). It replaces
    the unit tests' make_settings for tests/integration."""

    def make(**overrides: Any) -> Settings:
        redis = redis_settings
        if "redis_url" in overrides:
            redis = {"redis_url": overrides["redis_url"]}
        values: dict[str, Any] = {
            **TEST_VALUES,
            **redis,
            "database_url": database_url,
            "redis_namespace": redis_namespace,
            "s3_bucket": s3_bucket,
            **s3_settings,
        }
        return Settings(_env_file=None, **(values | overrides))

    return make


@pytest.fixture
async def storage(make_settings: SettingsFactory) -> AsyncIterator[Storage]:
    """The run's test bucket."""
    async with create_storage(make_settings()) as storage:
        yield storage


@pytest.fixture
async def user_client(make_settings: SettingsFactory) -> AsyncIterator[AsyncClient]:
    """A client signed in as a user (support.EMAIL)."""
    async with running_user_client(make_settings()) as client:
        yield client


@dataclass(frozen=True)
class RunClients:
    """Clients of the run's database, Redis and bucket, for cleaning up between tests."""

    settings: Settings
    engine: AsyncEngine
    redis: RedisClient
    storage: Storage


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def run_clients(
    database_url: str,
    redis_settings: dict[str, Any],
    s3_settings: dict[str, Any],
    s3_bucket: str,
) -> AsyncIterator[RunClients]:
    """Made once: a new S3 client alone costs tens of milliseconds (its TLS set-up)."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        s3_bucket=s3_bucket,
        **redis_settings,
        app_env="test",
        **s3_settings,
    )
    engine = create_engine(settings)
    redis = create_redis(settings)
    try:
        async with create_storage(settings) as storage:
            yield RunClients(settings, engine, redis, storage)
    finally:
        await redis.aclose()
        await engine.dispose()


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def _clean_up_after_test(
    run_clients: RunClients, redis_namespace: str
) -> AsyncIterator[None]:
    """What a test leaves goes: every row, the test's Redis keys, every object."""
    yield
    async with run_clients.engine.begin() as connection:
        for table in TABLES:
            await connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608  # fixed names
    namespace = run_clients.settings.model_copy(update={"redis_namespace": redis_namespace})
    async for key in run_clients.redis.scan_iter(match=redis_key(namespace, "*"), count=500):
        await run_clients.redis.unlink(key)
    await empty_bucket(run_clients.storage)
