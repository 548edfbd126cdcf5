"""Helpers every database backend shares."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from ..settings import DatabaseSettings

# The server cancels a statement at DB_STATEMENT_TIMEOUT_MS (a clean error, the
# connection stays usable); the client gives up this much later, for when no
# answer can come at all (a stalled link or server).
CLIENT_TIMEOUT_MARGIN_SECONDS = 1.0


def client_timeout(settings: DatabaseSettings) -> float | None:
    """Seconds the driver waits for any answer of the database; None for no limit."""
    if not settings.db_statement_timeout_ms:
        return None
    return settings.db_statement_timeout_ms / 1000 + CLIENT_TIMEOUT_MARGIN_SECONDS


def parse_url(url: str | URL, *, accepted: Collection[str], expected: str) -> URL:
    """Parse url, refusing any scheme not in accepted with a message naming the expected one."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        msg = "DATABASE_URL is not a database URL"
        raise ValueError(msg) from exc
    if parsed.drivername not in accepted:
        msg = f"DATABASE_URL must be a {expected} URL, not {parsed.drivername}://"
        raise ValueError(msg)
    return parsed


async def run_admin_statement(
    url: URL, statement: str, *, admin_database: str | None = None
) -> None:
    """Run CREATE/DROP DATABASE for url's database ({name} in statement) from admin_database."""
    # URL.set() cannot clear a field, so the server URL is built anew.
    server_url = URL.create(
        url.drivername,
        username=url.username,
        password=url.password,
        host=url.host,
        port=url.port,
        database=admin_database,
        query=url.query,
    )
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = engine.dialect.identifier_preparer.quote(str(url.database))
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement.format(name=name))
    finally:
        await engine.dispose()
