"""Presigned uploads: the client sends the file straight to S3, never through the service.

1. POST /api/v1/uploads/presign {filename, size, content_type}: the service records a
   pending upload and answers a presigned POST policy for one generated key and
   exactly size bytes, valid UPLOAD_URL_EXPIRY seconds. S3 itself refuses other
   keys, other sizes and late uploads.
2. The client POSTs the form fields and the file to that URL.
3. POST /api/v1/uploads/{id}/complete: the service checks the stored object (its
   size, and its type sniffed from the first bytes), then marks the upload complete,
   or deletes the object and answers 413 or 415.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.session import SessionDep
from ..errors import ConflictError
from ..settings import Settings
from . import service
from .content import SNIFF_BYTES, sniff
from .dependencies import OwnerDep, StorageDep
from .errors import PayloadTooLargeError, UnsupportedMediaTypeError
from .models import Upload, UploadStatus
from .schemas import UploadRead
from .storage import Storage

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])


class PresignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    size: Annotated[int, Field(ge=1)]
    # The client's claim, checked early; the stored bytes are sniffed on completion.
    content_type: Annotated[str, StringConstraints(max_length=100, to_lower=True)]


class PresignedUpload(BaseModel):
    id: uuid.UUID
    url: str  # POST a multipart form here: every field below, then the file as "file"
    fields: dict[str, str]
    expires_in: int  # seconds


async def presign(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    *,
    owner: int | None,
    data: PresignRequest,
) -> PresignedUpload:
    """Record a pending upload and sign a POST policy for its key and size."""
    service.check_size(settings, data.size)
    service.check_type(settings, data.content_type)
    upload = service.new_upload(session, owner=owner, filename=data.filename, size=data.size)
    post = await storage.presigned_post(
        upload.key, size=data.size, expires_in=settings.upload_url_expiry
    )
    await session.commit()
    return PresignedUpload(
        id=upload.id, url=post.url, fields=post.fields, expires_in=settings.upload_url_expiry
    )


async def complete(
    session: AsyncSession, storage: Storage, settings: Settings, *, upload: Upload
) -> Upload:
    """Check the object the client stored; keep it, or delete it and raise 413/415."""
    if upload.status == UploadStatus.COMPLETE:
        return upload
    stored = await storage.head(upload.key)
    if stored is None:
        msg = "Nothing has been uploaded for this upload yet."
        raise ConflictError(msg)
    try:
        service.check_size(settings, stored.size)
        content_type = service.check_type(
            settings, sniff(await storage.read_start(upload.key, SNIFF_BYTES))
        )
    except (PayloadTooLargeError, UnsupportedMediaTypeError):
        await service.discard(session, storage, upload)
        raise
    upload.size = stored.size
    upload.content_type = content_type
    upload.checksum = f"etag:{stored.etag}"
    upload.status = UploadStatus.COMPLETE
    await session.commit()
    return upload


@router.post("/presign", status_code=status.HTTP_201_CREATED)
async def presign_upload(
    data: PresignRequest,
    session: SessionDep,
    storage: StorageDep,
    owner: OwnerDep,
    request: Request,
) -> PresignedUpload:
    """Announce an upload; answers where and how to POST the file to S3."""
    return await presign(session, storage, request.app.state.settings, owner=owner, data=data)


@router.post("/{upload_id}/complete")
async def complete_upload(
    upload_id: uuid.UUID,
    session: SessionDep,
    storage: StorageDep,
    owner: OwnerDep,
    request: Request,
) -> UploadRead:
    """Check the uploaded object and mark the upload complete (413/415 delete it)."""
    settings = request.app.state.settings
    upload = await service.get_or_raise(session, upload_id=upload_id, owner=owner)
    upload = await complete(session, storage, settings, upload=upload)
    return await service.read(storage, settings, upload)
