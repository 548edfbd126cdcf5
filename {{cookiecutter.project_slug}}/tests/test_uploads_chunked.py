"""Resumable uploads (tus 1.0), end to end: tuspy and raw HTTP → the service → S3 multipart."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import uvicorn
from httpx import AsyncClient
from tusclient.client import TusClient

from {{ cookiecutter.package_name }}.db.base import utcnow
from {{ cookiecutter.package_name }}.db.engine import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.uploads.service import remove_stale
from {{ cookiecutter.package_name }}.uploads.storage import MIN_PART_BYTES, Storage

from .conftest import SettingsFactory
from .support import free_port, running_client
from .upload_support import bucket_contents, not_an_image, png

KIB = 1024
MIB = 1024 * KIB
TUS = {"Tus-Resumable": "1.0.0"}
ENDPOINT = "/api/v1/uploads/tus/"


class InProcessServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # signals stay with the test runner (Ctrl+C, timeouts)


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """The service on a real local port (tuspy and raw sockets need one); yields its URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = InProcessServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server stopped during start-up"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(v.encode()).decode()}" for key, v in values.items())


async def create(client: AsyncClient, length: int, filename: str = "photo.png") -> str:
    """POST a new upload; returns its path."""
    created = await client.post(
        ENDPOINT,
        headers={
            **TUS,
            "Upload-Length": str(length),
            "Upload-Metadata": metadata(filename=filename),
        },
    )
    assert created.status_code == 201, created.text
    return httpx.URL(created.headers["Location"]).path


async def patch(
    client: AsyncClient, path: str, offset: int, data: bytes, **headers: str
) -> httpx.Response:
    return await client.patch(
        path,
        content=data,
        headers={
            **TUS,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
            **headers,
        },
    )


def upload_id(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


async def test_options_lists_version_extensions_and_limit(client: AsyncClient) -> None:
    response = await client.options(ENDPOINT)

    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "checksum",
    }
    assert response.headers["Tus-Checksum-Algorithm"] == "sha1"
    assert response.headers["Tus-Max-Size"] == str(100 * MIB)


async def test_tuspy_uploads_in_chunks_with_checksums(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    data = png(2 * MIN_PART_BYTES + 3 * MIB)
    async with serving(make_settings()) as base_url:
        uploader = TusClient(f"{base_url}{ENDPOINT}").async_uploader(
            file_stream=io.BytesIO(data),
            chunk_size=MIB,  # aiohttp warns about larger raw bodies
            metadata={"filename": "big picture.png"},
            upload_checksum=True,
        )
        await uploader.upload()
        async with httpx.AsyncClient(base_url=base_url) as client:
            read = await client.get(f"/api/v1/uploads/{upload_id(str(uploader.url))}")
            download = await client.get(read.json()["download_url"])

    assert read.json()["status"] == "complete"
    assert read.json()["filename"] == "big picture.png"
    assert read.json()["size"] == len(data)
    assert read.json()["content_type"] == "image/png"
    assert hashlib.sha256(download.content).digest() == hashlib.sha256(data).digest()
    keys, multipart = await bucket_contents(storage)
    assert len(keys) == 1  # the object; no tail left behind
    assert multipart == []


async def test_resume_after_an_interrupted_patch(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    data = png(MIN_PART_BYTES + 4 * MIB)
    sent = MIN_PART_BYTES + MIB  # a whole part and a tail, then the connection drops
    async with serving(make_settings()) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            path = await create(client, len(data))
        host, port = httpx.URL(base_url).host, httpx.URL(base_url).port
        _, writer = await asyncio.open_connection(host, port)
        writer.write(
            (
                f"PATCH {path} HTTP/1.1\r\nHost: {host}\r\nTus-Resumable: 1.0.0\r\n"
                f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            ).encode()
            + data[:sent]
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        async with httpx.AsyncClient(base_url=base_url) as client:
            offset = 0
            for _ in range(100):  # until the server has noticed the disconnect
                head = await client.head(path, headers=TUS)
                offset = int(head.headers["Upload-Offset"])
                if offset:
                    break
                await asyncio.sleep(0.1)
        # Given a URL, tuspy asks for the offset at once, synchronously: off the loop.
        resumed = await asyncio.to_thread(
            TusClient(f"{base_url}{ENDPOINT}").async_uploader,
            file_stream=io.BytesIO(data),
            url=f"{base_url}{path}",
            chunk_size=MIB,
        )
        await resumed.upload()
        async with httpx.AsyncClient(base_url=base_url) as client:
            read = await client.get(f"/api/v1/uploads/{upload_id(path)}")
            download = await client.get(read.json()["download_url"])

    assert offset == sent
    assert read.json()["status"] == "complete"
    assert download.content == data
    assert (await bucket_contents(storage))[1] == []


async def test_a_repeated_patch_is_409_and_counts_once(client: AsyncClient) -> None:
    data = png(4 * KIB)
    path = await create(client, len(data))

    first = await patch(client, path, 0, data[: 2 * KIB])
    repeated = await patch(client, path, 0, data[: 2 * KIB])
    head = await client.head(path, headers=TUS)

    assert first.status_code == 204
    assert first.headers["Upload-Offset"] == str(2 * KIB)
    assert first.headers["Tus-Resumable"] == "1.0.0"
    assert repeated.status_code == 409
    assert repeated.headers["content-type"] == "application/problem+json"
    assert repeated.headers["Tus-Resumable"] == "1.0.0"
    assert head.headers["Upload-Offset"] == str(2 * KIB)
    assert head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Cache-Control"] == "no-store"


async def test_a_checksum_mismatch_is_460_and_drops_the_bytes(client: AsyncClient) -> None:
    data = png(4 * KIB)
    path = await create(client, len(data))
    wrong = base64.b64encode(hashlib.sha1(b"other").digest()).decode()  # noqa: S324
    right = base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324

    mismatch = await patch(client, path, 0, data, **{"Upload-Checksum": f"sha1 {wrong}"})
    head = await client.head(path, headers=TUS)
    match = await patch(client, path, 0, data, **{"Upload-Checksum": f"sha1 {right}"})
    unsupported = await patch(client, path, 0, data, **{"Upload-Checksum": "md5 AAAA"})

    assert mismatch.status_code == 460
    assert head.headers["Upload-Offset"] == "0"
    assert match.status_code == 204
    assert match.headers["Upload-Offset"] == str(len(data))
    assert unsupported.status_code == 400


async def test_an_upload_over_the_limit_is_413_at_creation(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    async with running_client(make_settings(max_upload_bytes=MIB)) as client:
        created = await client.post(ENDPOINT, headers={**TUS, "Upload-Length": str(MIB + 1)})

    assert created.status_code == 413
    assert created.headers["Tus-Resumable"] == "1.0.0"
    assert await bucket_contents(storage) == ([], [])


async def test_bytes_past_upload_length_are_413(client: AsyncClient) -> None:
    data = png(4 * KIB)
    path = await create(client, 2 * KIB)

    response = await patch(client, path, 0, data)
    head = await client.head(path, headers=TUS)

    assert response.status_code == 413
    assert head.headers["Upload-Offset"] == "0"


async def test_wrong_magic_bytes_are_415_and_the_upload_is_aborted(
    client: AsyncClient, storage: Storage
) -> None:
    data = not_an_image(MIN_PART_BYTES + MIB)
    path = await create(client, len(data), filename="cat.png")

    response = await patch(client, path, 0, data)
    head = await client.head(path, headers=TUS)

    assert response.status_code == 415
    assert head.status_code == 404
    assert await bucket_contents(storage) == ([], [])


async def test_termination_aborts_the_multipart_upload(
    client: AsyncClient, storage: Storage
) -> None:
    data = png(MIN_PART_BYTES + MIB)
    path = await create(client, 2 * len(data))
    await patch(client, path, 0, data)
    during = await bucket_contents(storage)

    deleted = await client.delete(path, headers=TUS)
    head = await client.head(path, headers=TUS)

    assert len(during[1]) == 1  # one multipart upload in progress, plus its tail object
    assert deleted.status_code == 204
    assert head.status_code == 404
    assert await bucket_contents(storage) == ([], [])


async def test_expired_uploads_are_aborted_by_the_cleanup(
    client: AsyncClient, make_settings: SettingsFactory, storage: Storage
) -> None:
    data = png(MIN_PART_BYTES + MIB)
    path = await create(client, 2 * len(data))
    await patch(client, path, 0, data)
    engine = create_engine(make_settings())
    try:
        async with create_sessionmaker(engine)() as session:
            removed = await remove_stale(
                session, storage, older_than=timedelta(hours=1), now=utcnow() + timedelta(hours=2)
            )
    finally:
        await engine.dispose()

    assert removed == 1
    assert await bucket_contents(storage) == ([], [])


async def test_names_are_sanitised_and_keys_generated(
    client: AsyncClient, storage: Storage
) -> None:
    data = png(KIB)
    path = await create(client, len(data), filename="../../etc/passwd\x00.png")
    await patch(client, path, 0, data)

    read = await client.get(f"/api/v1/uploads/{upload_id(path)}")
    keys, _ = await bucket_contents(storage)

    assert read.json()["filename"] == "passwd.png"
    assert read.json()["status"] == "complete"
    assert len(keys) == 1
    assert keys[0].startswith("uploads/")
    assert "passwd" not in keys[0]


async def test_protocol_errors_are_4xx_problems(client: AsyncClient) -> None:
    path = await create(client, KIB)

    no_version = await client.post(ENDPOINT, headers={"Upload-Length": "10"})
    no_length = await client.post(ENDPOINT, headers=TUS)
    bad_metadata = await client.post(
        ENDPOINT, headers={**TUS, "Upload-Length": "10", "Upload-Metadata": "filename ***"}
    )
    wrong_type = await patch(client, path, 0, b"x", **{"Content-Type": "text/plain"})
    unknown = await client.head(f"{ENDPOINT}{uuid.uuid4()}", headers=TUS)

    assert no_version.status_code == 412
    assert no_version.headers["Tus-Version"] == "1.0.0"
    assert no_length.status_code == 400
    assert bad_metadata.status_code == 400
    assert wrong_type.status_code == 415
    assert unknown.status_code == 404
    for response in (no_version, no_length, bad_metadata, wrong_type):
        assert response.headers["content-type"] == "application/problem+json"
