"""PostgreSQL through asyncpg."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from .common import parse_url, run_admin_statement

if TYPE_CHECKING:
    from ...settings import Settings

NAME = "postgresql"
DRIVER = "postgresql+asyncpg"
ACCEPTED_SCHEMES = frozenset(
    {"postgres", "postgresql", "postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg2"}
)
MAINTENANCE_DATABASE = "postgres"


def async_url(url: str | URL) -> URL:
    """The asyncpg form of any PostgreSQL URL (postgres://, postgresql+psycopg://, ...)."""
    parsed = parse_url(url, accepted=ACCEPTED_SCHEMES, expected="PostgreSQL")
    query = dict(parsed.query)
    # libpq spells it sslmode; asyncpg takes the same values as ssl.
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    return parsed.set(drivername=DRIVER, query=query)


def check_production_url(url: URL) -> None:
    """PostgreSQL URLs carry nothing that is unsafe in production by itself."""


def connect_args(settings: Settings) -> dict[str, Any]:
    server_settings = {"application_name": settings.service_name}
    if settings.db_statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    return {"timeout": settings.db_connect_timeout, "server_settings": server_settings}


def configure_engine(engine: AsyncEngine) -> None:
    """PostgreSQL needs no per-connection set-up beyond connect_args."""


async def begin_write(session: AsyncSession) -> None:
    """Row locks (SELECT ... FOR UPDATE) need no special transaction start here."""


async def create_database(url: URL) -> None:
    """Create the database named by url (used for throwaway test databases)."""
    statement = "CREATE DATABASE {name}"
    await run_admin_statement(async_url(url), statement, admin_database=MAINTENANCE_DATABASE)


async def drop_database(url: URL) -> None:
    statement = "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    await run_admin_statement(async_url(url), statement, admin_database=MAINTENANCE_DATABASE)
