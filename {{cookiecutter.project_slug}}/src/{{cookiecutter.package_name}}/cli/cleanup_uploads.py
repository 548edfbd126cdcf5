"""Remove uploads never completed: python -m <package>.cli.cleanup_uploads

Run it periodically (cron, a scheduled job). Pending uploads older than
UPLOAD_EXPIRY seconds lose their object, their S3 multipart upload and their record;
objects under pending/ that belong to no pending upload (a presigned POST sent again
after its upload was completed, say) are deleted.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from ..db.engine import create_engine, create_sessionmaker
from ..logs import configure_logging
from ..settings import Settings, get_settings
from ..uploads.service import remove_orphans, remove_stale
from ..uploads.storage import create_storage
from ..uploads.strategy import discard

log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)


async def cleanup(settings: Settings) -> int:
    """Discard stale pending uploads; returns how many."""
    engine = create_engine(settings)
    try:
        async with create_storage(settings) as storage, create_sessionmaker(engine)() as session:
            removed = await remove_stale(
                session, storage, discard, older_than=timedelta(seconds=settings.upload_expiry)
            )
            orphans = await remove_orphans(session, storage)
    finally:
        await engine.dispose()
    log.info("stale_uploads_removed", count=removed, orphan_objects=orphans)
    return removed


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    asyncio.run(cleanup(settings))


if __name__ == "__main__":
    main()
