from __future__ import annotations

import pytest
from sqlalchemy import text

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.db.engine import create_engine

from .conftest import SettingsFactory


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgresql://u:p@db/app?sslmode=require", "postgresql+asyncpg://u:p@db/app?ssl=require"),
        ("postgresql+psycopg://u@db/app", "postgresql+asyncpg://u@db/app"),
    ],
)
def test_platform_urls_use_asyncpg(plain: str, expected: str) -> None:
    assert backend.async_url(plain).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize("url", ["mysql://u@db/app", "sqlite:///app.db", "not a url"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        backend.async_url(url)


async def test_connections_carry_statement_timeout(make_settings: SettingsFactory) -> None:
    engine = create_engine(make_settings(db_statement_timeout_ms=1234))
    try:
        async with engine.connect() as connection:
            timeout = await connection.scalar(text("SHOW statement_timeout"))
    finally:
        await engine.dispose()

    assert timeout == "1234ms"
