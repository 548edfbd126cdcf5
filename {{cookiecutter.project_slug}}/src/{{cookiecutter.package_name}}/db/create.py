"""Create the database DATABASE_URL names unless it exists: python -m <package>.db.create

For a database server outside compose (whose database service creates its own):
run it once before the first `alembic upgrade head`. The URL's user needs the
right to create databases; running it again changes nothing.
"""

from __future__ import annotations

import asyncio
import sys

import structlog
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from ..logging import configure_logging
from ..settings import Settings, get_settings
from . import backend
from .engine import create_engine

log = structlog.stdlib.get_logger(__name__)


async def can_connect(settings: Settings) -> bool:
    engine = create_engine(settings.model_copy(update={"db_pool_enabled": False}))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (DBAPIError, OSError):
        return False
    finally:
        await engine.dispose()
    return True


async def create_unless_exists(settings: Settings) -> bool:
    """Create the database; False when it was already there."""
    if await can_connect(settings):
        return False
    await backend.create_database(make_url(settings.database_url))
    return True


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    database = make_url(settings.database_url).database
    try:
        created = asyncio.run(create_unless_exists(settings))
    except (DBAPIError, OSError) as exc:
        # The server is down, or refuses the user: say so in one line.
        log.error("database_not_created", database=database, reason=str(exc).splitlines()[0])
        sys.exit(1)
    log.info("database_created" if created else "database_exists", database=database)


if __name__ == "__main__":
    main()
