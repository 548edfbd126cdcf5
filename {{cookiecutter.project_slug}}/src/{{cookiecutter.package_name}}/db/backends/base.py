"""What every database backend provides; the rest of the service never knows which one runs."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ..settings import DatabaseSettings


class DatabaseBackend(Protocol):
    """A backend module: db/backend.py names the one this service was generated for."""

    NAME: str

    @property
    def BackendSettings(self) -> type[DatabaseSettings]:  # a class
        """DatabaseSettings with DATABASE_URL in the backend's async driver's form."""
        ...

    def async_url(self, url: str | URL) -> URL:
        """The async driver's form of any URL of this database."""
        ...

    def connect_args(self, settings: DatabaseSettings) -> dict[str, Any]:
        """The driver's connect() arguments: timeouts, server settings."""
        ...

    def configure_engine(self, engine: AsyncEngine, settings: DatabaseSettings) -> None:
        """Per-connection set-up the driver cannot do through connect_args."""
        ...

    def reads_only(self, engine: AsyncEngine, settings: DatabaseSettings) -> AsyncEngine:
        """The engine for sessions that only read: fewest round trips per read."""
        ...

    async def begin_write(self, session: AsyncSession) -> None:
        """Start a transaction that is about to lock rows it reads."""
        ...

    async def create_database(self, url: URL) -> None:
        """Create the database url names."""
        ...

    async def drop_database(self, url: URL) -> None:
        """Drop the database url names, if it exists."""
        ...
