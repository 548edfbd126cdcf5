from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import inspect

from {{ cookiecutter.package_name }}.db.engine import create_engine
from {{ cookiecutter.package_name }}.settings import Settings

from .conftest import SettingsFactory, migrate


async def table_names(settings: Settings) -> set[str]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


def test_upgrade_and_downgrade_on_a_fresh_database(
    make_database: Callable[[], str], make_settings: SettingsFactory
) -> None:
    settings = make_settings(database_url=make_database())

    migrate(settings)
    after_upgrade = asyncio.run(table_names(settings))
    migrate(settings, "base", down=True)
    after_downgrade = asyncio.run(table_names(settings))
    migrate(settings)

    assert after_upgrade == {"accounts", "items", "uploads", "users"}
    assert after_downgrade == set()
    assert asyncio.run(table_names(settings)) == {"accounts", "items", "uploads", "users"}
