"""The one adapter to object storage: an aioboto3 S3 client per app, with its own pool.

Objects are private. Clients read them through short-lived presigned GET URLs and,
with the presigned strategy, write them through presigned POST policies. An
unreachable or slow S3 raises StorageUnavailableError, from every call and read.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aioboto3
from aiobotocore.config import AioConfig
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as S3ConnectionError

from ..errors import StorageUnavailableError

if TYPE_CHECKING:
    from types_aiobotocore_s3.client import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef

    from .settings import StorageSettings

# S3 refuses parts below 5 MiB except the last; larger parts mean fewer requests.
MIN_PART_BYTES = 5 * 1024 * 1024
# Parts sent at once per upload: reading the next part overlaps sending the last ones.
PARTS_IN_FLIGHT = 3
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchUpload"})
# What the SDK raises, after its retries, when S3 is unreachable or too slow; an
# error answer of S3 (ClientError) is another matter.
DRIVER_UNAVAILABLE_ERRORS = (S3ConnectionError, HTTPClientError)
STORAGE_DOWN = "Object storage is unreachable or too slow; retry later."


def raise_storage_unavailable(exception: Exception, **_: Any) -> None:
    """The SDK's after-call-error event: what it raises in place of the SDK's error."""
    if isinstance(exception, DRIVER_UNAVAILABLE_ERRORS):
        raise StorageUnavailableError(STORAGE_DOWN) from exception


async def read_body(answer: Mapping[str, Any]) -> bytes:
    """The body of a get_object answer; reading it is not part of the call."""
    async with answer["Body"] as body:
        try:
            data: bytes = await body.read()
        except DRIVER_UNAVAILABLE_ERRORS as exc:
            raise StorageUnavailableError(STORAGE_DOWN) from exc
    return data


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


def take(buffer: bytearray, size: int) -> bytes:
    """Remove and return the first size bytes of buffer, copying them once."""
    with memoryview(buffer) as view:
        head = bytes(view[:size])
    del buffer[:size]
    return head


class PartBuffer:
    """Bytes received and not yet sent, written once into the part they belong to.

    Parts are io.BytesIO objects of their final size from the start, given to S3 as
    they are: a bytes body would be copied into a fresh BytesIO on its way to the
    socket, so each part would be held twice while it is sent.
    """

    def __init__(self, part_bytes: int, *, length: int) -> None:
        """Parts of part_bytes; the bytes should end at length (else the last part grows)."""
        self.part_bytes = part_bytes
        self.length = length
        self.ready: deque[BytesIO] = deque()
        self._part = self._new_part(0)
        self._start = 0  # of the part being filled, from the buffer's first byte
        self._filled = 0

    def __len__(self) -> int:
        return len(self.ready) * self.part_bytes + self._filled

    def _new_part(self, start: int) -> BytesIO:
        size = max(min(self.part_bytes, self.length - start), 1)
        part = BytesIO()
        part.seek(size - 1)
        part.write(b"\0")  # one allocation of the whole part
        part.seek(0)
        return part

    def append(self, chunk: bytes) -> None:
        """Add chunk; the parts it fills move to ready."""
        view = memoryview(chunk)
        while view:
            room = self.part_bytes - self._filled
            self._part.write(view[:room])
            self._filled += min(room, len(view))
            view = view[room:]
            if self._filled == self.part_bytes:
                self._part.seek(0)
                self.ready.append(self._part)
                self._start += self.part_bytes
                self._part = self._new_part(self._start)
                self._filled = 0

    def head(self, size: int) -> bytes:
        """The first size bytes (all when there are fewer), left in the buffer."""
        part = self.ready[0] if self.ready else self._part
        with part.getbuffer() as view:
            return bytes(view[: min(size, len(self))])

    def rest(self) -> bytes:
        """The bytes of the part still being filled."""
        with self._part.getbuffer() as view:
            return bytes(view[: self._filled])


def is_not_found(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in NOT_FOUND_CODES


def content_disposition(filename: str) -> str:
    """An attachment header that survives any file name (RFC 6266 / RFC 5987)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


class Storage:
    """Operations on the service's bucket; every key is generated by the service."""

    def __init__(self, client: S3Client, bucket: str, signer: S3Client | None = None) -> None:
        """signer signs the URLs handed to clients: a client of the public endpoint."""
        self.client = client
        self.bucket = bucket
        self.signer = signer or client

    async def ping(self) -> None:
        """Raises unless the bucket exists and the credentials may use it."""
        await self.client.head_bucket(Bucket=self.bucket)

    async def head(self, key: str) -> ObjectInfo | None:
        try:
            answer = await self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise
        return ObjectInfo(size=answer["ContentLength"], etag=answer["ETag"].strip('"'))

    async def read_start(self, key: str, length: int) -> bytes:
        """The object's first length bytes (fewer when it is shorter)."""
        answer = await self.client.get_object(
            Bucket=self.bucket, Key=key, Range=f"bytes=0-{length - 1}"
        )
        return await read_body(answer)

    async def read(self, key: str) -> bytes | None:
        """A whole (small) object, None when it does not exist."""
        try:
            answer = await self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise
        return await read_body(answer)

    async def put(self, key: str, data: bytes) -> None:
        await self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    async def copy(self, source: str, key: str, *, content_type: str, filename: str) -> None:
        """Copy an object within the bucket, on the S3 side (up to 5 GiB), with these
        headers in place of those it was stored with (a client may have chosen them)."""
        await self.client.copy_object(
            Bucket=self.bucket,
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": source},
            MetadataDirective="REPLACE",
            ContentType=content_type,
            ContentDisposition=content_disposition(filename),
        )

    async def keys_under(self, prefix: str) -> list[str]:
        """The keys of every object whose key starts with prefix."""
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys += [entry["Key"] for entry in page.get("Contents", [])]
        return keys

    async def multipart_ids(self, key: str) -> list[str]:
        """The ids of the multipart uploads to key neither completed nor aborted."""
        answer = await self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=key)
        return [entry["UploadId"] for entry in answer.get("Uploads", []) if entry["Key"] == key]

    async def delete(self, key: str) -> None:
        """Delete an object; deleting one that does not exist is not an error."""
        await self.client.delete_object(Bucket=self.bucket, Key=key)

    async def start_multipart(self, key: str, *, content_type: str, filename: str) -> str:
        answer = await self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ContentType=content_type,
            ContentDisposition=content_disposition(filename),
        )
        return answer["UploadId"]

    async def upload_part(
        self, key: str, upload_id: str, number: int, data: bytes | BytesIO
    ) -> str:
        answer = await self.client.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        return answer["ETag"]

    async def complete_multipart(
        self, key: str, upload_id: str, etags: Mapping[int, str]
    ) -> ObjectInfo:
        """Join the parts (in part-number order) into the object."""
        parts: list[CompletedPartTypeDef] = [
            {"PartNumber": number, "ETag": etags[number]} for number in sorted(etags)
        ]
        await self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
        info = await self.head(key)
        if info is None:  # pragma: no cover  # S3 just created it
            msg = f"object {key} missing after completing its multipart upload"
            raise RuntimeError(msg)
        return info

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop a multipart upload and its parts; an unknown upload is not an error."""
        try:
            await self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            )
        except ClientError as exc:
            if not is_not_found(exc):
                raise

    async def presigned_post(self, key: str, *, size: int, expires_in: int) -> PresignedPost:
        """A POST policy for exactly this key and exactly size bytes."""
        answer: dict[str, Any] = await self.signer.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Conditions=[["content-length-range", size, size]],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=answer["url"], fields=dict(answer["fields"]))

    async def presigned_get(
        self, key: str, *, filename: str, content_type: str, expires_in: int
    ) -> str:
        """A GET URL whose answer has these headers, whatever the object was stored with."""
        return await self.signer.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_in,
        )


class PartSender:
    """Sends the parts of one multipart upload, up to PARTS_IN_FLIGHT at a time.

    send() returns once the part is on its way (waiting while PARTS_IN_FLIGHT are),
    so memory stays at about PARTS_IN_FLIGHT parts; wait() returns the ETags of the
    parts sent, raising the first failure; cancel() stops the ones still going.
    """

    def __init__(self, storage: Storage, key: str, upload_id: str) -> None:
        self.storage = storage
        self.key = key
        self.upload_id = upload_id
        self.etags: dict[int, str] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def send(self, number: int, data: bytes | BytesIO) -> None:
        while len(self._running) >= PARTS_IN_FLIGHT:
            done, self._running = await asyncio.wait(
                self._running, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                task.result()
        self._running.add(asyncio.create_task(self._upload(number, data)))

    async def wait(self) -> dict[int, str]:
        running, self._running = self._running, set()
        await asyncio.gather(*running)
        return self.etags

    async def cancel(self) -> None:
        running, self._running = self._running, set()
        for task in running:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*running, return_exceptions=True)

    async def _upload(self, number: int, data: bytes | BytesIO) -> None:
        self.etags[number] = await self.storage.upload_part(self.key, self.upload_id, number, data)


@functools.cache
def boto_session() -> aioboto3.Session:
    """The process's one SDK session: it keeps the parsed S3 service model, which takes
    about half a second to load, for every client made after the first."""
    return aioboto3.Session()


@asynccontextmanager
async def create_storage(settings: StorageSettings) -> AsyncIterator[Storage]:
    """A Storage whose client (and connection pool) lives as long as the block."""
    secret = settings.aws_secret_access_key
    # Unset keys (None) leave the SDK's own chain to find them.
    credentials: dict[str, Any] = {
        "aws_access_key_id": settings.aws_access_key_id,
        "aws_secret_access_key": secret.get_secret_value() if secret else None,
        "region_name": settings.s3_region,
    }
    config = AioConfig(
        signature_version="s3v4",
        max_pool_connections=settings.s3_max_connections,
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        # No extra CRC32 of every part: SigV4 already covers each request's body.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # A custom endpoint (SeaweedFS, MinIO) serves buckets as paths, not host names.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
    )
    public_endpoint = settings.s3_public_endpoint_url or settings.s3_endpoint_url
    async with contextlib.AsyncExitStack() as clients:
        client = await clients.enter_async_context(
            boto_session().client(
                "s3", endpoint_url=settings.s3_endpoint_url, config=config, **credentials
            )
        )
        client.meta.events.register("after-call-error.s3", raise_storage_unavailable)
        signer = client
        if public_endpoint != settings.s3_endpoint_url:
            # Signs URLs for the address clients reach (the signature covers the host);
            # signing needs no network, so this client never opens a connection.
            signer = await clients.enter_async_context(
                boto_session().client(
                    "s3", endpoint_url=public_endpoint, config=config, **credentials
                )
            )
        yield Storage(client, settings.s3_bucket, signer)
