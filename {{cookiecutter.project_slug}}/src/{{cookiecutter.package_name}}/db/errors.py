"""The database's failures as the service's own errors, raised where the driver raises them.

Getting a connection (the pool's connect()) and running a statement (SQLAlchemy's
handle_error event) are the two places a driver error surfaces; both turn an
unreachable, broken or slow database into DatabaseUnavailableError and a pool
with no free connection into PoolExhaustedError. Every other error stays as it
is: a bug, answered 500.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool, Pool, PoolProxiedConnection

from ..errors import DatabaseUnavailableError, PoolExhaustedError

DATABASE_DOWN = "The database is unreachable or too slow; retry later."
POOL_EXHAUSTED = "No database connection became free in time; retry later."


def is_connection_failure(exc: BaseException) -> bool:
    """Whether the database could not be reached or the connection broke mid-request.

    SQLAlchemy marks an error raised on a connection that turned out dead
    (connection_invalidated): asyncpg's "connection was closed in the middle of
    operation" on the rollback that ends a request is a plain DBAPIError, where
    MySQL's lost connections (2006, 2013) and SQLite's locked database are
    OperationalErrors. Drivers raise socket errors and timeouts (OSError) as they are.
    """
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | OSError)


class _ConnectOrUnavailable(Pool):
    def connect(self) -> PoolProxiedConnection:
        try:
            return super().connect()
        except sa_exc.TimeoutError as exc:
            raise PoolExhaustedError(POOL_EXHAUSTED) from exc
        except Exception as exc:
            if is_connection_failure(exc):
                raise DatabaseUnavailableError(DATABASE_DOWN) from exc
            raise


class ConnectionPool(_ConnectOrUnavailable, AsyncAdaptedQueuePool):
    """The engine's pool: connections kept open, checkouts bounded by DB_POOL_TIMEOUT."""

    # Logs as SQLAlchemy's own pool does, under the sqlalchemy logger (warnings only).
    _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"


class UnpooledConnections(_ConnectOrUnavailable, NullPool):
    """One connection per session (DB_POOL_ENABLED=false, behind PgBouncer)."""

    _sqla_logger_namespace = "sqlalchemy.pool.impl.NullPool"


def raise_service_errors(engine: AsyncEngine) -> None:
    """Statements that fail because the database is gone raise DatabaseUnavailableError."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def database_unavailable(context: ExceptionContext) -> None:
        if context.is_pre_ping:  # the pool replaces the connection itself
            return
        error = context.sqlalchemy_exception or context.original_exception
        if context.is_disconnect or is_connection_failure(error):
            raise DatabaseUnavailableError(DATABASE_DOWN) from context.original_exception
