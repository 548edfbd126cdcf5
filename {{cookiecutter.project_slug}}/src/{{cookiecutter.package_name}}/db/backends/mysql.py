"""MySQL 8 and MariaDB 10.6+ through asyncmy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from .common import parse_url, run_admin_statement

if TYPE_CHECKING:
    from ...settings import Settings

NAME = "mysql"
DRIVER = "mysql+asyncmy"
ACCEPTED_SCHEMES = frozenset(
    {
        "mysql",
        "mariadb",
        "mysql+asyncmy",
        "mysql+aiomysql",
        "mysql+pymysql",
        "mysql+mysqldb",
        "mariadb+asyncmy",
        "mariadb+pymysql",
    }
)


def async_url(url: str | URL) -> URL:
    """The asyncmy form of any MySQL/MariaDB URL, speaking utf8mb4."""
    parsed = parse_url(url, accepted=ACCEPTED_SCHEMES, expected="MySQL/MariaDB")
    return parsed.set(drivername=DRIVER, query={"charset": "utf8mb4", **parsed.query})


def check_production_url(url: URL) -> None:
    """MySQL URLs carry nothing that is unsafe in production by itself."""


def connect_args(settings: Settings) -> dict[str, Any]:
    return {"connect_timeout": settings.db_connect_timeout}


def configure_engine(engine: AsyncEngine) -> None:
    """MySQL needs no per-connection set-up beyond connect_args."""


async def begin_write(session: AsyncSession) -> None:
    """Row locks (SELECT ... FOR UPDATE) need no special transaction start here."""


async def create_database(url: URL) -> None:
    """Create the database named by url (used for throwaway test databases)."""
    await run_admin_statement(async_url(url), "CREATE DATABASE {name} CHARACTER SET utf8mb4")


async def drop_database(url: URL) -> None:
    await run_admin_statement(async_url(url), "DROP DATABASE IF EXISTS {name}")
