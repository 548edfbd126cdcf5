"""Presigned uploads, end to end: the service signs, S3 (SeaweedFS) enforces, the service checks."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.uploads.storage import Storage

from .conftest import SettingsFactory
from .support import free_port, running_client
from .upload_support import bucket_contents, not_an_image, png

KIB = 1024
MIB = 1024 * KIB


async def presign(
    client: AsyncClient, *, size: int, filename: str = "photo.png", content_type: str = "image/png"
) -> httpx.Response:
    return await client.post(
        "/api/v1/uploads/presign",
        json={"filename": filename, "size": size, "content_type": content_type},
    )


async def post_to_s3(presigned: dict[str, Any], data: bytes) -> httpx.Response:
    """What a browser does with the answer: a multipart form, fields first, then the file."""
    async with httpx.AsyncClient() as s3:
        return await s3.post(
            presigned["url"], data=presigned["fields"], files={"file": ("upload.bin", data)}
        )


async def test_presign_upload_complete_and_download(client: AsyncClient) -> None:
    data = png(10 * KIB)

    presigned = await presign(client, size=len(data), filename="holiday photo.png")
    stored = await post_to_s3(presigned.json(), data)
    completed = await client.post(f"/api/v1/uploads/{presigned.json()['id']}/complete")
    read = await client.get(f"/api/v1/uploads/{presigned.json()['id']}")
    async with httpx.AsyncClient() as s3:
        download = await s3.get(read.json()["download_url"])

    assert presigned.status_code == 201, presigned.text
    assert presigned.json()["expires_in"] == 300
    assert stored.status_code in (200, 201, 204), stored.text
    assert completed.status_code == 200, completed.text
    assert read.json()["status"] == "complete"
    assert read.json()["filename"] == "holiday photo.png"
    assert read.json()["size"] == len(data)
    assert read.json()["content_type"] == "image/png"
    assert read.json()["checksum"].startswith("etag:")
    assert download.status_code == 200
    assert download.content == data
    assert 'filename="holiday photo.png"' in download.headers["content-disposition"]


async def test_pending_upload_has_no_download_url(client: AsyncClient) -> None:
    presigned = await presign(client, size=KIB)

    read = await client.get(f"/api/v1/uploads/{presigned.json()['id']}")

    assert read.status_code == 200
    assert read.json()["status"] == "pending"
    assert read.json()["download_url"] is None


async def test_objects_are_private(client: AsyncClient, storage: Storage) -> None:
    data = png(KIB)
    presigned = await presign(client, size=len(data))
    await post_to_s3(presigned.json(), data)
    (key,), _ = await bucket_contents(storage)

    async with httpx.AsyncClient() as anonymous:
        unsigned = await anonymous.get(f"{presigned.json()['url'].rstrip('/')}/{key}")

    assert unsigned.status_code == 403


async def test_completing_before_uploading_is_409(client: AsyncClient) -> None:
    presigned = await presign(client, size=KIB)

    completed = await client.post(f"/api/v1/uploads/{presigned.json()['id']}/complete")

    assert completed.status_code == 409
    assert completed.headers["content-type"] == "application/problem+json"


async def test_size_over_the_limit_is_413_before_anything_is_stored(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    async with running_client(make_settings(max_upload_bytes=MIB)) as client:
        presigned = await presign(client, size=MIB + 1)

    assert presigned.status_code == 413
    assert presigned.headers["content-type"] == "application/problem+json"
    assert presigned.json()["max_bytes"] == MIB
    assert await bucket_contents(storage) == ([], [])


async def test_a_presign_for_1_kib_used_for_2_mib_is_refused_by_s3(
    client: AsyncClient, storage: Storage
) -> None:
    presigned = await presign(client, size=KIB)

    stored = await post_to_s3(presigned.json(), png(2 * MIB))
    completed = await client.post(f"/api/v1/uploads/{presigned.json()['id']}/complete")

    assert stored.status_code == 400, stored.text
    assert "EntityTooLarge" in stored.text
    assert completed.status_code == 409
    assert await bucket_contents(storage) == ([], [])


async def test_an_expired_presign_is_refused_by_s3(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    data = png(KIB)
    async with running_client(make_settings(upload_url_expiry=1)) as client:
        presigned = await presign(client, size=len(data))
    await asyncio.sleep(2.5)  # past the policy's expiry

    stored = await post_to_s3(presigned.json(), data)

    assert stored.status_code == 403, stored.text
    assert "expired" in stored.text
    assert await bucket_contents(storage) == ([], [])


async def test_a_presign_is_for_its_own_key_only(client: AsyncClient, storage: Storage) -> None:
    data = png(KIB)
    presigned = (await presign(client, size=len(data))).json()
    presigned["fields"]["key"] = "uploads/chosen-by-the-client.png"

    stored = await post_to_s3(presigned, data)

    assert stored.status_code == 403, stored.text
    assert await bucket_contents(storage) == ([], [])


async def test_wrong_magic_bytes_are_415_and_deleted(client: AsyncClient, storage: Storage) -> None:
    data = not_an_image(KIB)
    presigned = await presign(client, size=len(data), filename="script.png")
    await post_to_s3(presigned.json(), data)

    completed = await client.post(f"/api/v1/uploads/{presigned.json()['id']}/complete")
    read = await client.get(f"/api/v1/uploads/{presigned.json()['id']}")

    assert completed.status_code == 415
    assert completed.headers["content-type"] == "application/problem+json"
    assert "image/png" in completed.json()["allowed"]
    assert read.status_code == 404
    assert await bucket_contents(storage) == ([], [])


async def test_a_type_not_allowed_is_415_when_announced(client: AsyncClient) -> None:
    presigned = await presign(
        client, size=KIB, filename="run.exe", content_type="application/x-dosexec"
    )

    assert presigned.status_code == 415


async def test_object_over_a_lowered_limit_is_413_and_deleted(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    data = png(64 * KIB)
    async with running_client(make_settings()) as client:
        presigned = await presign(client, size=len(data))
        await post_to_s3(presigned.json(), data)
    async with running_client(make_settings(max_upload_bytes=32 * KIB)) as client:
        completed = await client.post(f"/api/v1/uploads/{presigned.json()['id']}/complete")

    assert completed.status_code == 413
    assert await bucket_contents(storage) == ([], [])


async def test_traversal_names_are_stored_under_generated_keys(
    client: AsyncClient, storage: Storage
) -> None:
    data = png(KIB)
    presigned = await presign(client, size=len(data), filename="../../etc/cron.d/evil\x00.png")
    await post_to_s3(presigned.json(), data)

    completed = await client.post(f"/api/v1/uploads/{presigned.json()['id']}/complete")
    keys, _ = await bucket_contents(storage)

    assert completed.json()["filename"] == "evil.png"
    assert keys == [presigned.json()["fields"]["key"]]
    assert keys[0].startswith("uploads/")
    assert "evil" not in keys[0]
    assert ".." not in keys[0]


async def test_s3_down_is_503_problem(make_settings: SettingsFactory) -> None:
    settings = make_settings(s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
    async with running_client(settings) as client:
        presigned = await presign(client, size=KIB)
        completed = await client.post(f"/api/v1/uploads/{presigned.json()['id']}/complete")

    assert completed.status_code == 503
    assert completed.json()["type"] == "urn:problem-type:storage-unavailable"
