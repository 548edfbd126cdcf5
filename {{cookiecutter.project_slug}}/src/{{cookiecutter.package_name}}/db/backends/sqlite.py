"""SQLite through aiosqlite, in WAL mode with a busy timeout."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from .common import parse_url

if TYPE_CHECKING:
    from ...settings import Settings

NAME = "sqlite"
DRIVER = "sqlite+aiosqlite"
ACCEPTED_SCHEMES = frozenset({"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"})
# Connection option asking for BEGIN IMMEDIATE: take the write lock up front,
# so two writers never both read and then fail to upgrade their lock.
WRITE_TRANSACTION = "sqlite_begin_immediate"
BUSY_TIMEOUT_MS = 5000


def async_url(url: str | URL) -> URL:
    """The aiosqlite form of a SQLite URL; in-memory databases are refused."""
    parsed = parse_url(url, accepted=ACCEPTED_SCHEMES, expected="SQLite (sqlite:///path)")
    if parsed.database in (None, "", ":memory:"):
        # Each pooled connection would see its own empty database.
        msg = "DATABASE_URL must name a SQLite file (sqlite:///path/to/file.db)"
        raise ValueError(msg)
    return parsed.set(drivername=DRIVER)


def check_production_url(url: URL) -> None:
    if str(url.database).startswith(("/tmp/", "/dev/shm/")):  # noqa: S108  # refusing them
        msg = "DATABASE_URL points into a temporary directory; data would not survive a reboot"
        raise ValueError(msg)


def connect_args(settings: Settings) -> dict[str, Any]:
    return {"timeout": max(settings.db_connect_timeout, BUSY_TIMEOUT_MS / 1000)}


def configure_engine(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is switched off; on_begin emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_TRANSACTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


async def begin_write(session: AsyncSession) -> None:
    """Start the session's transaction holding the database write lock."""
    await session.connection(execution_options={WRITE_TRANSACTION: True})


async def create_database(url: URL) -> None:
    Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)


async def drop_database(url: URL) -> None:
    database = Path(str(url.database))
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
