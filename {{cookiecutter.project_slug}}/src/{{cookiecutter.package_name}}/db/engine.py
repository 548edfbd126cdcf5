"""The engine and its connection pool, built from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from . import backend

if TYPE_CHECKING:
    from ..settings import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine whose pool fails fast (DB_POOL_TIMEOUT) instead of queueing forever."""
    connect_args = backend.connect_args(settings)
    if settings.db_pool_enabled:
        engine = create_async_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            pool_recycle=settings.db_pool_recycle,
            pool_pre_ping=settings.db_pool_pre_ping,
            connect_args=connect_args,
        )
    else:
        engine = create_async_engine(
            settings.database_url, poolclass=NullPool, connect_args=connect_args
        )
    backend.configure_engine(engine)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit; async code cannot lazy-load them again.
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Round-trip to the database; raises when it cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
