"""The engine and its connection pool, built from settings."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from . import backend
from .errors import ConnectionPool, UnpooledConnections, raise_service_errors
from .settings import DatabaseSettings

LAST_USED = "last_used"  # key in each pooled connection's info dict


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An engine whose pool fails fast (DB_POOL_TIMEOUT) instead of queueing forever."""
    connect_args = backend.connect_args(settings)
    if settings.db_pool_enabled:
        idle_seconds = settings.db_pool_ping_after_idle
        engine = create_async_engine(
            settings.database_url,
            poolclass=ConnectionPool,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            pool_recycle=settings.db_pool_recycle,
            # Every checkout pays the ping's round trips: only when asked with 0.
            pool_pre_ping=settings.db_pool_pre_ping and idle_seconds == 0,
            connect_args=connect_args,
        )
        if settings.db_pool_pre_ping and idle_seconds > 0:
            ping_idle_connections(engine, idle_seconds)
    else:
        engine = create_async_engine(
            settings.database_url, poolclass=UnpooledConnections, connect_args=connect_args
        )
    backend.configure_engine(engine, settings)
    raise_service_errors(engine)
    return engine


def ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Test a pooled connection before use when it sat idle longer than idle_seconds.

    Connections die while idle (server restarts, idle timeouts, failovers); a busy
    connection proved itself moments ago, and testing it on every checkout would
    add round trips to every request. A connection that fails the test is
    replaced; a busy one that fails in use is answered 503, and the disconnect
    makes the pool replace every connection opened before it.
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "connect")
    @event.listens_for(pool, "checkin")
    def mark_used(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[LAST_USED] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(LAST_USED, 0.0) <= idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError from exc  # the pool retries with a new connection


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit; async code cannot lazy-load them again.
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_engine(engine: AsyncEngine, settings: DatabaseSettings) -> AsyncEngine:
    """The engine for requests that only read, on the same pool; never for a write."""
    return backend.reads_only(engine, settings)


async def ping(engine: AsyncEngine) -> None:
    """Round-trip to the database; raises when it cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
