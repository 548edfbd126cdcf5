"""Create the database DATABASE_URL names, unless it exists."""

from __future__ import annotations

from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from ..errors import DatabaseUnavailableError
from . import backend
from .engine import create_engine
from .settings import DatabaseSettings


async def can_connect(settings: DatabaseSettings) -> bool:
    engine = create_engine(settings.model_copy(update={"db_pool_enabled": False}))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (DBAPIError, OSError, DatabaseUnavailableError):
        return False
    finally:
        await engine.dispose()
    return True


async def create_unless_exists(settings: DatabaseSettings) -> bool:
    """Create the database; False when it was already there."""
    if await can_connect(settings):
        return False
    await backend.create_database(make_url(settings.database_url))
    return True
