from __future__ import annotations

import pytest
from sqlalchemy import text

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.db.engine import create_engine

from .conftest import SettingsFactory


@pytest.mark.parametrize(
    ("plain", "expected"),
    [
        ("mysql://u:p@db:3306/app", "mysql+asyncmy://u:p@db:3306/app?charset=utf8mb4"),
        ("mariadb://u@db/app", "mysql+asyncmy://u@db/app?charset=utf8mb4"),
        ("mysql+pymysql://u@db/app?charset=latin1", "mysql+asyncmy://u@db/app?charset=latin1"),
    ],
)
def test_platform_urls_use_asyncmy(plain: str, expected: str) -> None:
    assert backend.async_url(plain).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize("url", ["postgresql://u@db/app", "sqlite:///app.db", "not a url"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL"):
        backend.async_url(url)


async def test_connections_speak_utf8mb4(make_settings: SettingsFactory) -> None:
    engine = create_engine(make_settings())
    try:
        async with engine.connect() as connection:
            charset = await connection.scalar(text("SELECT @@character_set_connection"))
    finally:
        await engine.dispose()

    assert charset == "utf8mb4"
