"""Streamed uploads: multipart/form-data passes through the service straight into S3.

POST /api/v1/uploads with a "file" part. The body is parsed as it arrives
(python-multipart's push parser), and the file's bytes go to an S3 multipart
upload in parts of PART_BYTES, a few at once (PARTS_IN_FLIGHT) while the next one
is read, so a process holds a few parts per upload in memory and nothing on disk.
The type is sniffed from the first bytes and the size counted as they arrive: a 415
or 413 stops reading and aborts the S3 upload.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, status
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.session import SessionDep
from ..errors import InvalidRequestError
from ..settings import Settings
from . import service
from .content import SNIFF_BYTES, display_name, sniff
from .dependencies import OwnerDep, StorageDep
from .models import Upload, UploadStatus
from .schemas import UploadRead
from .storage import MIN_PART_BYTES, PartSender, Storage, take

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])

FILE_FIELD = "file"
PART_BYTES = MIN_PART_BYTES
MAX_HEADER_BYTES = 16 * 1024  # of one form part's headers


class FormFile:
    """Feeds body chunks to the multipart parser; hands out the file part's bytes.

    Other form fields are skipped; only the first part named "file" counts.
    """

    def __init__(self, boundary: bytes) -> None:
        callbacks: MultipartCallbacks = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }
        self._parser = MultipartParser(boundary, callbacks)
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        self._in_file = False
        self._data = bytearray()
        self.filename: str | None = None
        self.found = False  # a file part began
        self.finished = False  # and ended

    def feed(self, chunk: bytes) -> bytes:
        """Parse chunk; returns the file bytes it held."""
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            msg = "The multipart/form-data body is malformed."
            raise InvalidRequestError(msg) from exc
        data = bytes(self._data)
        self._data.clear()
        return data

    def _part_begin(self) -> None:
        self._headers = {}
        self._header_bytes = 0

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]
        self._count_header(end - start)

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]
        self._count_header(end - start)

    def _count_header(self, length: int) -> None:
        self._header_bytes += length
        if self._header_bytes > MAX_HEADER_BYTES:
            msg = "A form part's headers are too long."
            raise InvalidRequestError(msg)

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if disposition == b"form-data" and name == FILE_FIELD and not self.found:
            self.found = True
            self._in_file = True
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._data += data[start:end]

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self.finished = True


def form_boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        msg = f'Send multipart/form-data with a "{FILE_FIELD}" part.'
        raise InvalidRequestError(msg)
    return boundary


class PartWriter:
    """Writes a stream of bytes to one object: a single PUT when it is small,
    else an S3 multipart upload of PART_BYTES parts. abort() drops what was sent."""

    def __init__(self, storage: Storage, key: str) -> None:
        self.storage = storage
        self.key = key
        self._buffer = bytearray()
        self._parts: PartSender | None = None
        self._next_part = 1

    async def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= PART_BYTES:
            await self._send(take(self._buffer, PART_BYTES))

    async def close(self, content_type: str) -> None:
        if self._parts is None:
            await self.storage.client.put_object(
                Bucket=self.storage.bucket,
                Key=self.key,
                Body=bytes(self._buffer),
                ContentType=content_type,
            )
            return
        if self._buffer:
            await self._send(bytes(self._buffer))
            self._buffer.clear()
        etags = await self._parts.wait()
        await self.storage.complete_multipart(self.key, self._parts.upload_id, etags)

    async def abort(self) -> None:
        if self._parts is not None:
            await self._parts.cancel()
            await self.storage.abort_multipart(self.key, self._parts.upload_id)

    async def _send(self, part: bytes) -> None:
        if self._parts is None:
            upload_id = await self.storage.start_multipart(self.key)
            self._parts = PartSender(self.storage, self.key, upload_id)
        await self._parts.send(self._next_part, part)
        self._next_part += 1


async def receive(
    request: Request,
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    *,
    owner: int | None,
) -> Upload:
    """Stream the request's file part into S3 and record it; 413/415/422 store nothing."""
    form = FormFile(form_boundary(request))
    key = service.new_key()
    writer = PartWriter(storage, key)
    digest = hashlib.sha256()
    head = b""
    content_type: str | None = None
    size = 0
    try:
        async for chunk in request.stream():
            data = form.feed(chunk)
            if data:
                size += len(data)
                service.check_size(settings, size)
                digest.update(data)
                if content_type is None:
                    head += data[: SNIFF_BYTES - len(head)]
                    if len(head) >= SNIFF_BYTES:
                        content_type = service.check_type(settings, sniff(head))
                await writer.write(data)
            if form.finished:
                break
        if not form.finished:
            msg = f'The body ended before a complete "{FILE_FIELD}" part.'
            raise InvalidRequestError(msg)
        if content_type is None:  # a file shorter than SNIFF_BYTES
            content_type = service.check_type(settings, sniff(head))
        await writer.close(content_type)
    except BaseException:
        await writer.abort()
        raise
    upload = Upload(
        owner_id=owner,
        key=key,
        filename=display_name(form.filename),
        size=size,
        content_type=content_type,
        checksum=f"sha256:{digest.hexdigest()}",
        status=UploadStatus.COMPLETE,
        received=size,
    )
    session.add(upload)
    try:
        await session.commit()
    except BaseException:
        await storage.delete(key)
        raise
    return upload


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_upload(
    request: Request, session: SessionDep, storage: StorageDep, owner: OwnerDep
) -> UploadRead:
    """Upload a file as the "file" part of a multipart/form-data body."""
    settings = request.app.state.settings
    upload = await receive(request, session, storage, settings, owner=owner)
    return await service.read(storage, settings, upload)
