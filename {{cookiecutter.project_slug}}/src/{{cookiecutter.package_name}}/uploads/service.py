"""Upload logic every strategy shares: records, checks, reads and removal."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.base import utcnow
from ..errors import NotFoundError
from ..settings import Settings
from .content import display_name
from .errors import PayloadTooLargeError, UnsupportedMediaTypeError
from .models import Upload, UploadStatus
from .schemas import UploadRead
from .storage import Storage

# Stored uploads live under UPLOADS_PREFIX. Bytes of uploads not finished yet that are
# objects of their own (presigned uploads before completion, resumable uploads' tails)
# live under PENDING_PREFIX, which the bucket's lifecycle rule expires (uploads/bucket.py).
UPLOADS_PREFIX = "uploads/"
PENDING_PREFIX = "pending/"


def new_key() -> str:
    """A fresh object key; nothing of the client's ends up in it."""
    return f"{UPLOADS_PREFIX}{uuid.uuid4()}"


def pending_key(upload: Upload) -> str:
    """Where the object of an upload waits until it is checked (see PENDING_PREFIX)."""
    return f"{PENDING_PREFIX}{upload.key.removeprefix(UPLOADS_PREFIX)}"


def check_size(settings: Settings, size: int) -> None:
    if size > settings.max_upload_bytes:
        msg = f"Uploads may be at most {settings.max_upload_bytes} bytes."
        raise PayloadTooLargeError(msg, max_bytes=settings.max_upload_bytes)


def check_type(settings: Settings, content_type: str | None) -> str:
    """The sniffed type when it is allowed; raises 415 otherwise."""
    if content_type is None or content_type not in settings.allowed_upload_types:
        shown = content_type or "unknown"
        msg = f"Files of type {shown} are not accepted."
        raise UnsupportedMediaTypeError(msg, allowed=sorted(settings.allowed_upload_types))
    return content_type


def new_upload(
    session: AsyncSession, *, owner: int, filename: str | None, size: int | None = None
) -> Upload:
    """A pending upload under a fresh key, added to the session (not committed)."""
    upload = Upload(
        id=uuid.uuid4(),
        owner_id=owner,
        key=new_key(),
        filename=display_name(filename),
        size=size,
        status=UploadStatus.PENDING,
        received=0,
        created_at=utcnow(),
    )
    session.add(upload)
    return upload


async def get_or_raise(session: AsyncSession, *, upload_id: uuid.UUID, owner: int) -> Upload:
    """The upload, when it exists and belongs to owner (others' are answered 404 too)."""
    upload = await session.get(Upload, upload_id)
    if upload is None or upload.owner_id != owner:
        raise NotFoundError(f"Upload {upload_id} does not exist.")
    return upload


async def read(storage: Storage, settings: Settings, upload: Upload) -> UploadRead:
    """Metadata, with a short-lived download URL once the upload is complete."""
    result = UploadRead.model_validate(upload)
    if upload.status == UploadStatus.COMPLETE:
        result.download_url = await storage.presigned_get(
            upload.key, filename=upload.filename, expires_in=settings.download_url_expiry
        )
    return result


async def discard(session: AsyncSession, storage: Storage, upload: Upload) -> None:
    """Remove an upload: its multipart upload, leftover bytes, object, and record."""
    if upload.multipart_id:
        await storage.abort_multipart(upload.key, upload.multipart_id)
    await storage.delete(tail_key(upload))
    await storage.delete(pending_key(upload))
    await storage.delete(upload.key)
    await session.delete(upload)
    await session.commit()


def tail_key(upload: Upload) -> str:
    """Where a resumable upload keeps bytes short of a whole part between requests."""
    return f"{pending_key(upload)}.tail"


async def remove_stale(
    session: AsyncSession, storage: Storage, *, older_than: timedelta, now: datetime | None = None
) -> int:
    """Discard uploads still pending after older_than; returns how many."""
    cutoff = (now or utcnow()) - older_than
    stale = await session.scalars(
        select(Upload).where(Upload.status == UploadStatus.PENDING, Upload.created_at < cutoff)
    )
    removed = 0
    for upload in list(stale):
        await discard(session, storage, upload)
        removed += 1
    return removed
