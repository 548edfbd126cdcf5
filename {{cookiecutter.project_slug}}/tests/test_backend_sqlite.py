from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.db.backends.sqlite import BUSY_TIMEOUT_MS
from {{ cookiecutter.package_name }}.db.engine import create_engine

from .conftest import SettingsFactory
from .support import running_client


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("sqlite:///app.db", "sqlite+aiosqlite:///app.db"),
        ("sqlite:////var/lib/app/app.db", "sqlite+aiosqlite:////var/lib/app/app.db"),
    ],
)
def test_plain_urls_use_aiosqlite(plain: str, expected: str) -> None:
    assert backend.async_url(plain).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "postgresql://u@db/app", "not a url"]
)
def test_memory_and_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        backend.async_url(url)


async def test_connections_use_wal_and_busy_timeout(make_settings: SettingsFactory) -> None:
    engine = create_engine(make_settings())
    try:
        async with engine.connect() as connection:
            journal = await connection.scalar(text("PRAGMA journal_mode"))
            busy = await connection.scalar(text("PRAGMA busy_timeout"))
            foreign_keys = await connection.scalar(text("PRAGMA foreign_keys"))
    finally:
        await engine.dispose()

    assert journal == "wal"
    assert busy == BUSY_TIMEOUT_MS
    assert foreign_keys == 1


async def test_service_recovers_once_database_directory_exists(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    directory = tmp_path / "not-yet"
    settings = make_settings(database_url=f"sqlite:///{directory}/service.db")

    async with running_client(settings) as client:
        ready_down = await client.get("/health/ready")
        directory.mkdir()
        ready_back = await client.get("/health/ready")

    assert ready_down.status_code == 503
    assert ready_back.status_code == 200


def test_production_refuses_a_database_in_a_temporary_directory(
    make_settings: SettingsFactory,
) -> None:
    with pytest.raises(ValidationError, match="temporary directory"):
        make_settings(app_env="prod", secret_key="k" * 48, database_url="sqlite:////tmp/service.db")
