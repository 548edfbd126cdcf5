"""Fixtures: a fresh database and S3 bucket per test run, migrated with Alembic, and a client."""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from alembic import command
from alembic.config import Config
from httpx import AsyncClient
from redis.asyncio import Redis
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.db.engine import create_engine
from {{ cookiecutter.package_name }}.redis_client import create_redis, redis_key
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.uploads.storage import Storage, create_storage

from .support import running_client, running_user_client

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Children first: the others refer to users.
TABLES = ("accounts", "items", "uploads", "users")

SettingsFactory = Callable[..., Settings]


def configured_database_url() -> str:
    """DATABASE_URL from the environment, else from .env (the local default)."""
    return os.environ.get("DATABASE_URL") or Settings().database_url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """REDIS_URL from the environment, else from .env (the local default)."""
    return os.environ.get("REDIS_URL") or Settings().redis_url


@pytest.fixture(scope="session")
def s3_settings(redis_url: str) -> dict[str, Any]:
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
def s3_bucket(s3_settings: dict[str, Any], redis_url: str) -> Iterator[str]:
    """A bucket of this run alone, emptied and deleted at the end."""
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    settings = Settings(
        _env_file=None,
        database_url=configured_database_url(),
        redis_url=redis_url,
        s3_bucket=bucket,
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


async def empty_bucket(storage: Storage) -> None:
    """Delete every object and abort every multipart upload in the bucket."""
    for key, upload_id in await multipart_uploads(storage):
        await storage.client.abort_multipart_upload(
            Bucket=storage.bucket, Key=key, UploadId=upload_id
        )
    for key in await object_keys(storage):
        await storage.delete(key)


async def object_keys(storage: Storage) -> list[str]:
    keys = []
    paginator = storage.client.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=storage.bucket):
        keys += [entry["Key"] for entry in page.get("Contents", [])]
    return keys


async def multipart_uploads(storage: Storage) -> list[tuple[str, str]]:
    """(key, upload id) of every multipart upload neither completed nor aborted."""
    answer = await storage.client.list_multipart_uploads(Bucket=storage.bucket)
    return [(entry["Key"], entry["UploadId"]) for entry in answer.get("Uploads", [])]


def throwaway_url(tmp_dir: Path) -> URL:
    base = backend.async_url(configured_database_url())
    if backend.NAME == "sqlite":
        return base.set(database=str(tmp_dir / "test.db"))
    return base.set(database=f"{base.database or 'service'}_test_{uuid.uuid4().hex[:8]}")


def migrate(
    settings: Settings,
    revision: str = "head",
    *,
    down: bool = False,
    x_arguments: Sequence[str] = (),
) -> None:
    """Alembic upgrade (or downgrade) to revision; x_arguments as `alembic -x` gives them."""
    config = Config(PROJECT_DIR / "alembic.ini", cmd_opts=argparse.Namespace(x=list(x_arguments)))
    config.attributes["settings"] = settings
    config.attributes["configure_logger"] = False
    if down:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


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
def database_url(make_database: Callable[[], str], redis_url: str) -> str:
    """One fresh database for the whole run, migrated to head."""
    url = make_database()
    migrate(Settings(_env_file=None, database_url=url, redis_url=redis_url, app_env="test"))
    return url


@pytest.fixture
def redis_namespace() -> str:
    """A Redis key prefix of this test alone: runs and tests sharing a Redis never meet."""
    return f"test-{uuid.uuid4().hex[:12]}"


PATIENT_WAITS = {
    "db_pool_timeout": 10,
    "redis_pool_timeout": 10,
    "redis_connect_timeout": 10,
    "redis_socket_timeout": 10,
    "cache_redis_timeout": 10,
}


@pytest.fixture
def make_settings(
    database_url: str,
    redis_url: str,
    redis_namespace: str,
    s3_settings: dict[str, Any],
    s3_bucket: str,
) -> SettingsFactory:
    """Settings for the test database and namespace; keyword arguments override fields.

    Password hashing is made cheap (argon2id at 1 pass over 1 MiB, where production
    refuses less than 2 passes over 19 MiB): the tests hash hundreds of passwords.
    Waits for a pooled connection or a Redis answer are long: on a busy machine the
    defaults (a second, a quarter for the cache) pass now and then, and a test about
    those waits sets its own.
    """

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "redis_url": redis_url,
            "redis_namespace": redis_namespace,
            "app_env": "test",
            "s3_bucket": s3_bucket,
            **s3_settings,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 1024,
            **PATIENT_WAITS,
        }
        return Settings(_env_file=None, **(values | overrides))

    return make


# The tests' cheap password hashing is refused in production: the defaults instead.
PRODUCTION_HASHING = {
    name: Settings.model_fields[name].default
    for name in ("password_hash_time_cost", "password_hash_memory_kib")
}


def production_settings(make_settings: SettingsFactory, **overrides: Any) -> Settings:
    """Settings that production accepts, on this run's servers; keywords override them."""
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


@pytest.fixture
async def storage(make_settings: SettingsFactory) -> AsyncIterator[Storage]:
    """The run's test bucket."""
    async with create_storage(make_settings()) as storage:
        yield storage


@pytest.fixture
async def client(make_settings: SettingsFactory) -> AsyncIterator[AsyncClient]:
    async with running_client(make_settings()) as client:
        yield client


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
    redis: Redis
    storage: Storage


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def run_clients(
    database_url: str, redis_url: str, s3_settings: dict[str, Any], s3_bucket: str
) -> AsyncIterator[RunClients]:
    """Made once: a new S3 client alone costs tens of milliseconds (its TLS set-up)."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        redis_url=redis_url,
        s3_bucket=s3_bucket,
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
