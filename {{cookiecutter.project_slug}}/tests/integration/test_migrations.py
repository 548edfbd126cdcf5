from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable

from sqlalchemy import Connection, inspect, text

from {{ cookiecutter.package_name }}.db.base import Base
from {{ cookiecutter.package_name }}.db.engine import create_engine
from {{ cookiecutter.package_name }}.settings import Settings

from ..helpers.database import migrate
from ..helpers.settings import SettingsFactory

Columns = dict[str, set[tuple[str, bool]]]  # by table: (column, nullable)


def columns_of(connection: Connection) -> Columns:
    inspector = inspect(connection)
    return {
        table: {(column["name"], column["nullable"]) for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


async def migrated_columns(settings: Settings) -> Columns:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(columns_of)
    finally:
        await engine.dispose()


async def table_names(settings: Settings) -> set[str]:
    return set(await migrated_columns(settings))


def model_columns() -> Columns:
    """The tables and columns the models declare (main imports every model module, the
    upload strategy's included)."""
    importlib.import_module("{{ cookiecutter.package_name }}.main")
    return {
        name: {(column.name, bool(column.nullable)) for column in table.columns}
        for name, table in Base.metadata.tables.items()
    }


def test_the_migrations_make_the_schema_the_models_declare(
    make_database: Callable[[], str], make_settings: SettingsFactory
) -> None:
    settings = make_settings(database_url=make_database())

    migrate(settings)

    assert asyncio.run(migrated_columns(settings)) == model_columns()


def test_upgrade_and_downgrade_on_a_fresh_database(
    make_database: Callable[[], str], make_settings: SettingsFactory
) -> None:
    settings = make_settings(database_url=make_database())

    migrate(settings)
    after_upgrade = asyncio.run(table_names(settings))
    migrate(settings, "base", down=True)
    after_downgrade = asyncio.run(table_names(settings))
    migrate(settings)

    assert after_upgrade == set(model_columns())
    assert {"accounts", "items", "uploads", "users"} <= after_upgrade
    assert after_downgrade == set()
    assert asyncio.run(table_names(settings)) == after_upgrade


async def insert_pre_owner_rows(settings: Settings) -> int:
    """An account and an item as revision 0003 has them (no owner), and a user; its id."""
    engine = create_engine(settings)
    statements = [
        "INSERT INTO users (email, password_hash, created_at, updated_at)"
        " VALUES ('ada@example.com', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO accounts (owner, balance, created_at, updated_at)"
        " VALUES ('anyone', 100, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO items (name, price, created_at, updated_at)"
        " VALUES ('Lamp', 100, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    ]
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
            user_id = await connection.scalar(text("SELECT id FROM users"))
    finally:
        await engine.dispose()
    assert isinstance(user_id, int)
    return user_id


async def owners(settings: Settings, table: str) -> list[int]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(f"SELECT owner_id FROM {table}"))  # noqa: S608
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


def test_rows_without_owner_are_deleted_or_given_to_one_user(
    make_database: Callable[[], str], make_settings: SettingsFactory
) -> None:
    deleted = make_settings(database_url=make_database())
    given = make_settings(database_url=make_database())
    for settings in (deleted, given):
        migrate(settings, "0003")
    asyncio.run(insert_pre_owner_rows(deleted))
    user_id = asyncio.run(insert_pre_owner_rows(given))

    migrate(deleted)
    migrate(given, x_arguments=[f"existing_owner={user_id}"])

    assert asyncio.run(owners(deleted, "accounts")) == []
    assert asyncio.run(owners(deleted, "items")) == []
    assert asyncio.run(owners(given, "accounts")) == [user_id]
    assert asyncio.run(owners(given, "items")) == [user_id]
    migrate(given, "0003", down=True)  # and back, the owner's email as the account's owner
