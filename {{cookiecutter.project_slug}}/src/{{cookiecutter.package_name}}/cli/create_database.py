"""Create the database DATABASE_URL names unless it exists: python -m <package>.cli.create_database

For a database server outside compose (whose database service creates its own):
run it once before the first `alembic upgrade head`. The URL's user needs the
right to create databases; running it again changes nothing.
"""

from __future__ import annotations

import asyncio
import sys

import structlog
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError

from ..db.create import create_unless_exists
from ..logs import configure_logging
from ..settings import get_settings

log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
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
