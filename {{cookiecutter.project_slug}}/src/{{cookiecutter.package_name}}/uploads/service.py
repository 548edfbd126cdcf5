"""Upload logic every strategy shares: records, checks, reads and removal."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.base import utcnow
from ..errors import NotFoundError
from .content import display_name
from .errors import PayloadTooLargeError, UnsupportedMediaTypeError
from .models import Upload, UploadStatus
from .schemas import UploadRead
from .settings import UploadSettings
from .storage import Storage

# Stored uploads live under UPLOADS_PREFIX. Bytes of uploads not finished yet that are
# objects of their own (presigned uploads before completion, resumable uploads' tails)
# live under PENDING_PREFIX, which the bucket's lifecycle rule expires (uploads/bucket.py).
UPLOADS_PREFIX = "uploads/"
PENDING_PREFIX = "pending/"
OCTET_STREAM = "application/octet-stream"
KEYS_PER_QUERY = 500  # bound parameters per IN (...) list


def new_key() -> str:
    """A fresh object key; nothing of the client's ends up in it."""
    return f"{UPLOADS_PREFIX}{uuid.uuid4()}"


def pending_key(key: str) -> str:
    """Where the object of the upload at key waits until it is checked (see PENDING_PREFIX)."""
    return f"{PENDING_PREFIX}{key.removeprefix(UPLOADS_PREFIX)}"


def check_size(settings: UploadSettings, size: int) -> None:
    if size > settings.max_upload_bytes:
        msg = f"Uploads may be at most {settings.max_upload_bytes} bytes."
        raise PayloadTooLargeError(msg, max_bytes=settings.max_upload_bytes)


def check_type(settings: UploadSettings, content_type: str | None) -> str:
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


async def read(storage: Storage, settings: UploadSettings, upload: Upload) -> UploadRead:
    """Metadata, with a short-lived download URL once the upload is complete."""
    result = UploadRead.model_validate(upload)
    if upload.status == UploadStatus.COMPLETE:
        result.download_url = await storage.presigned_get(
            upload.key,
            filename=upload.filename,
            # Sniffed on the way in; the download is an attachment of that type, whatever
            # the object itself says.
            content_type=upload.content_type or OCTET_STREAM,
            expires_in=settings.download_url_expiry,
        )
    return result


async def discard(session: AsyncSession, storage: Storage, upload: Upload) -> None:
    """Remove an upload: its record, then the objects it keeps under pending/ and its object.

    A strategy that keeps more (an S3 multipart upload) has a discard of its own.
    """
    await delete_record(session, upload)
    await remove_objects(storage, upload.key)


async def delete_record(session: AsyncSession, upload: Upload) -> None:
    """Delete an upload's record (and by cascade a strategy's rows of it); 404 when gone.

    The record goes before the bytes: a request still writing to the upload checks it
    before it records anything, so it stops and removes what it wrote; were the bytes
    removed first, it could write them again behind this.
    """
    deleted = cast(
        "CursorResult[Any]", await session.execute(delete(Upload).where(Upload.id == upload.id))
    )
    await session.commit()
    if deleted.rowcount != 1:
        raise NotFoundError(f"Upload {upload.id} does not exist.")


async def remove_objects(storage: Storage, key: str) -> None:
    """Delete the objects of the upload at key, whose record is gone."""
    for pending in await storage.keys_under(pending_key(key)):
        await storage.delete(pending)
    await storage.delete(key)


class Discard(Protocol):
    """A strategy's discard(): this module's, or one that also removes what it keeps."""

    async def __call__(self, session: AsyncSession, storage: Storage, upload: Upload) -> None: ...


async def remove_stale(
    session: AsyncSession,
    storage: Storage,
    discard: Discard,
    *,
    older_than: timedelta,
    now: datetime | None = None,
) -> int:
    """Discard uploads still pending after older_than; returns how many."""
    cutoff = (now or utcnow()) - older_than
    stale = await session.scalars(
        select(Upload).where(Upload.status == UploadStatus.PENDING, Upload.created_at < cutoff)
    )
    removed = 0
    for upload in list(stale):
        with contextlib.suppress(NotFoundError):  # removed meanwhile by its owner
            await discard(session, storage, upload)
            removed += 1
    return removed


def upload_key_of(pending: str) -> str:
    """The key of the upload a pending/ object belongs to: its pending key, or a name a
    strategy gives under it ("<pending key>.<anything>")."""
    name = pending.removeprefix(PENDING_PREFIX).partition(".")[0]
    return f"{UPLOADS_PREFIX}{name}"


async def remove_orphans(session: AsyncSession, storage: Storage) -> int:
    """Delete the objects under pending/ of no pending upload; returns how many.

    Such as a presigned POST sent again after its upload was completed, or bytes a
    request wrote while its upload was being removed.
    """
    waiting = await storage.keys_under(PENDING_PREFIX)
    owners = sorted({upload_key_of(key) for key in waiting})
    pending: set[str] = set()
    for start in range(0, len(owners), KEYS_PER_QUERY):
        batch = owners[start : start + KEYS_PER_QUERY]
        pending.update(
            await session.scalars(
                select(Upload.key).where(
                    Upload.key.in_(batch), Upload.status == UploadStatus.PENDING
                )
            )
        )
    await session.rollback()  # nothing was written; end the transaction
    orphans = [key for key in waiting if upload_key_of(key) not in pending]
    for key in orphans:
        await storage.delete(key)
    return len(orphans)
