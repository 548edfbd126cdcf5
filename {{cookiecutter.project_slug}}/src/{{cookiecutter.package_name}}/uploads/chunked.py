"""Resumable uploads: tus 1.0 (core, creation, termination, checksum) over S3 multipart.

POST /api/v1/uploads/tus/ creates an upload (Upload-Length, Upload-Metadata) and an S3
multipart upload under a generated key. Each PATCH appends at Upload-Offset: whole
parts of PART_BYTES go to S3 as they fill, a few at once (part n always holds the
same byte range, so a retried part replaces itself), and the remainder short of a
part is kept as a small ".tail" object until the next PATCH. The offset lives in the database and
only moves forward by a conditional update, so any instance can continue an upload
and a repeated or stale PATCH is answered 409 without counting twice. The last
byte completes the multipart upload; DELETE (or the cleanup command, for uploads
left pending) aborts it, so no orphan parts stay behind.

Interrupted PATCHes keep the bytes that arrived; clients ask HEAD for the offset
and continue from there. With Upload-Checksum (sha1) a PATCH counts only when the
whole body matches, else it is answered 460 and its bytes are dropped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any, cast

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from ..db.session import SessionDep
from ..errors import AppError, ConflictError, OperationalError
from ..settings import Settings
from . import service
from .content import SNIFF_BYTES, sniff
from .dependencies import OwnerDep, StorageDep
from .errors import PayloadTooLargeError, UnsupportedMediaTypeError
from .models import Upload, UploadStatus
from .storage import MIN_PART_BYTES, PartSender, Storage, take

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,checksum"
CHECKSUM_ALGORITHMS = "sha1"
PATCH_CONTENT_TYPE = "application/offset+octet-stream"
PART_BYTES = MIN_PART_BYTES


class TusError(OperationalError):
    status = HTTPStatus.BAD_REQUEST
    code = "tus-bad-request"
    title = "Bad Request"


class VersionMismatchError(OperationalError):
    status = HTTPStatus.PRECONDITION_FAILED
    code = "tus-version-unsupported"
    title = "Unsupported tus Version"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["Tus-Version"] = TUS_VERSION


class ChecksumMismatchError(OperationalError):
    status = 460  # tus checksum extension
    code = "checksum-mismatch"
    title = "Checksum Mismatch"


class OffsetConflictError(ConflictError):
    code = "offset-mismatch"


class TusRoute(APIRoute):
    """Every answer of the tus routes, errors included, carries Tus-Resumable."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except AppError as exc:
                exc.headers["Tus-Resumable"] = TUS_VERSION
                raise
            response.headers["Tus-Resumable"] = TUS_VERSION
            return response

        return tus_handler


def require_tus_version(request: Request) -> None:
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
        msg = f"Send Tus-Resumable: {TUS_VERSION}."
        raise VersionMismatchError(msg)


router = APIRouter(
    prefix="/api/v1/uploads/tus",
    tags=["uploads"],
    route_class=TusRoute,
    dependencies=[Depends(require_tus_version)],
)


def header_int(request: Request, name: str) -> int:
    value = request.headers.get(name, "")
    if not value.isdigit():
        msg = f"{name} must be a non-negative integer."
        raise TusError(msg)
    return int(value)


def parse_metadata(header: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated "key base64value" pairs (the value is optional)."""
    metadata: dict[str, str] = {}
    for pair in (header or "").split(","):
        if not pair.strip():
            continue
        key, _, value = pair.strip().partition(" ")
        try:
            metadata[key] = base64.b64decode(value, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError) as exc:
            msg = f"Upload-Metadata value of {key!r} is not base64."
            raise TusError(msg) from exc
    return metadata


def parse_checksum(header: str | None) -> bytes | None:
    """The sha1 digest of Upload-Checksum ("sha1 <base64>"), None when none was sent."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm != "sha1":
        msg = f"Checksum algorithm {algorithm!r} is not supported; use {CHECKSUM_ALGORITHMS}."
        raise TusError(msg)
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        msg = "Upload-Checksum is not base64."
        raise TusError(msg) from exc


async def create(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    *,
    owner: int | None,
    length: int,
    metadata: dict[str, str],
) -> Upload:
    """Record an upload of length bytes and start its S3 multipart upload."""
    service.check_size(settings, length)
    if length == 0:
        raise UnsupportedMediaTypeError("An empty file has no type that is accepted.")
    upload = service.new_upload(
        session, owner=owner, filename=metadata.get("filename"), size=length
    )
    upload.multipart_id = await storage.start_multipart(upload.key)
    try:
        await session.commit()
    except BaseException:
        await storage.abort_multipart(upload.key, upload.multipart_id)
        raise
    return upload


async def get_pending_or_raise(
    session: AsyncSession, *, upload_id: uuid.UUID, owner: int | None
) -> Upload:
    upload = await service.get_or_raise(session, upload_id=upload_id, owner=owner)
    # Nothing else to read: end the transaction so no connection waits on the body.
    await session.commit()
    return upload


async def append(
    request: Request,
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    *,
    upload: Upload,
    offset: int,
    checksum: bytes | None,
) -> int:
    """Write the PATCH body at offset; returns the new offset."""
    start = upload.received
    length = upload.size or 0
    if offset != start:
        msg = f"Upload-Offset is {offset}, but the upload is at {start}."
        raise OffsetConflictError(msg, offset=start)
    if upload.status == UploadStatus.COMPLETE or upload.multipart_id is None:
        raise OffsetConflictError("The upload is already complete.", offset=start)
    multipart_id = upload.multipart_id
    part_number = start // PART_BYTES + 1
    buffer = bytearray()
    if start % PART_BYTES:
        buffer += await storage.read(service.tail_key(upload)) or b""
        if len(buffer) != start % PART_BYTES:
            msg = "The upload's stored state is inconsistent; start it again."
            raise ConflictError(msg)
    content_type = upload.content_type
    digest = hashlib.sha1()  # noqa: S324  # the tus checksum extension's algorithm
    received = start
    interrupted = False
    parts = PartSender(storage, upload.key, multipart_id)
    try:
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > length:
                    raise PayloadTooLargeError(f"The upload is {length} bytes long.")
                digest.update(chunk)
                buffer += chunk
                # The buffer starts at byte 0 until the first part is sent.
                if content_type is None and part_number == 1 and len(buffer) >= SNIFF_BYTES:
                    content_type = await checked_type(session, storage, settings, upload, buffer)
                while len(buffer) >= PART_BYTES:
                    await parts.send(part_number, take(buffer, PART_BYTES))
                    part_number += 1
        except ClientDisconnect:
            interrupted = True
        await parts.wait()
    except BaseException:
        await parts.cancel()
        raise
    if checksum is not None:
        if interrupted:
            return start  # the body cannot be checked: nothing of it counts
        if digest.digest() != checksum:
            raise ChecksumMismatchError("The PATCH body does not match Upload-Checksum.")
    if received == length:
        if content_type is None:  # a file shorter than SNIFF_BYTES
            content_type = await checked_type(session, storage, settings, upload, buffer)
        if buffer:
            await storage.upload_part(upload.key, multipart_id, part_number, bytes(buffer))
        await advance(session, upload, start=start, received=received, content_type=content_type)
        await finish(session, storage, upload, last_part=part_number)
        return received
    if received != start:
        await storage.put(service.tail_key(upload), bytes(buffer))
        await advance(session, upload, start=start, received=received, content_type=content_type)
    return received


async def checked_type(
    session: AsyncSession, storage: Storage, settings: Settings, upload: Upload, head: bytearray
) -> str:
    """The sniffed type; a type not allowed ends the whole upload with 415."""
    try:
        return service.check_type(settings, sniff(bytes(head[:SNIFF_BYTES])))
    except UnsupportedMediaTypeError:
        await service.discard(session, storage, upload)
        raise


async def advance(
    session: AsyncSession, upload: Upload, *, start: int, received: int, content_type: str | None
) -> None:
    """Move the offset from start to received, unless another PATCH moved it first."""
    result = cast(
        "CursorResult[Any]",
        await session.execute(
            update(Upload)
            .where(Upload.id == upload.id, Upload.received == start)
            .values(received=received, content_type=content_type)
        ),
    )
    await session.commit()
    if result.rowcount != 1:
        raise OffsetConflictError("Another request wrote at this offset first.")
    upload.received = received
    upload.content_type = content_type


async def finish(
    session: AsyncSession, storage: Storage, upload: Upload, *, last_part: int
) -> None:
    """Join parts 1..last_part into the object and mark the upload complete."""
    assert upload.multipart_id is not None  # noqa: S101  # checked by append
    parts = await storage.list_parts(upload.key, upload.multipart_id)
    wanted = {number: etag for number, etag in parts.items() if number <= last_part}
    stored = await storage.complete_multipart(upload.key, upload.multipart_id, wanted)
    await storage.delete(service.tail_key(upload))
    upload.multipart_id = None
    upload.size = stored.size
    upload.checksum = f"etag:{stored.etag}"
    upload.status = UploadStatus.COMPLETE
    session.add(upload)
    await session.commit()


def upload_headers(upload: Upload) -> dict[str, str]:
    return {
        "Upload-Offset": str(upload.received),
        "Upload-Length": str(upload.size or 0),
        "Cache-Control": "no-store",
    }


@router.options("/")
async def tus_options(request: Request) -> Response:
    """What this tus server supports."""
    return Response(
        status_code=HTTPStatus.NO_CONTENT,
        headers={
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Checksum-Algorithm": CHECKSUM_ALGORITHMS,
            "Tus-Max-Size": str(request.app.state.settings.max_upload_bytes),
        },
    )


@router.post("/")
async def create_upload(
    request: Request, session: SessionDep, storage: StorageDep, owner: OwnerDep
) -> Response:
    """Create an upload of Upload-Length bytes; Location is where to PATCH it."""
    upload = await create(
        session,
        storage,
        request.app.state.settings,
        owner=owner,
        length=header_int(request, "Upload-Length"),
        metadata=parse_metadata(request.headers.get("Upload-Metadata")),
    )
    location = request.url_for("upload_offset", upload_id=upload.id)
    return Response(
        status_code=HTTPStatus.CREATED,
        headers={"Location": str(location), "Upload-Offset": "0"},
    )


@router.head("/{upload_id}")
async def upload_offset(upload_id: uuid.UUID, session: SessionDep, owner: OwnerDep) -> Response:
    """How many bytes of the upload the server has (Upload-Offset)."""
    upload = await service.get_or_raise(session, upload_id=upload_id, owner=owner)
    return Response(status_code=HTTPStatus.OK, headers=upload_headers(upload))


@router.patch("/{upload_id}")
async def append_to_upload(
    upload_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    storage: StorageDep,
    owner: OwnerDep,
) -> Response:
    """Append the body at Upload-Offset; answers the new offset."""
    if request.headers.get("Content-Type") != PATCH_CONTENT_TYPE:
        msg = f"PATCH bodies are {PATCH_CONTENT_TYPE}."
        raise UnsupportedMediaTypeError(msg)
    offset = header_int(request, "Upload-Offset")
    checksum = parse_checksum(request.headers.get("Upload-Checksum"))
    upload = await get_pending_or_raise(session, upload_id=upload_id, owner=owner)
    received = await append(
        request,
        session,
        storage,
        request.app.state.settings,
        upload=upload,
        offset=offset,
        checksum=checksum,
    )
    return Response(status_code=HTTPStatus.NO_CONTENT, headers={"Upload-Offset": str(received)})


@router.delete("/{upload_id}")
async def terminate_upload(
    upload_id: uuid.UUID, session: SessionDep, storage: StorageDep, owner: OwnerDep
) -> Response:
    """Terminate the upload: its S3 parts, object and record are removed."""
    upload = await service.get_or_raise(session, upload_id=upload_id, owner=owner)
    await service.discard(session, storage, upload)
    return Response(status_code=HTTPStatus.NO_CONTENT)
