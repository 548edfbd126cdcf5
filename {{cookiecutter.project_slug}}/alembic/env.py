"""Run migrations with the service's own async engine settings."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from {{ cookiecutter.package_name }}.accounts import models as accounts_models
from {{ cookiecutter.package_name }}.db.base import Base
from {{ cookiecutter.package_name }}.db.engine import create_engine
from {{ cookiecutter.package_name }}.items import models as items_models
from {{ cookiecutter.package_name }}.settings import Settings, get_settings
from {{ cookiecutter.package_name }}.uploads import models as uploads_models
from {{ cookiecutter.package_name }}.uploads import strategy as uploads_strategy
from {{ cookiecutter.package_name }}.users import models as users_models

# Every model module is imported so Base.metadata knows all tables (the upload strategy's
# own tables, if it has any, with it).
MODEL_MODULES = (accounts_models, items_models, uploads_models, uploads_strategy, users_models)

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def migration_settings() -> Settings:
    """The settings passed by a caller (tests), else the environment's."""
    settings = config.attributes.get("settings")
    return settings if isinstance(settings, Settings) else get_settings()


def run_migrations_offline() -> None:
    context.configure(
        url=migration_settings().database_url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    # Batch mode lets ALTERs work on SQLite too (it rebuilds the table).
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    settings = migration_settings().model_copy(update={"db_pool_enabled": False})
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
