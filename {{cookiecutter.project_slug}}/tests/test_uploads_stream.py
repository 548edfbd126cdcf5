"""Streamed uploads, end to end: httpx → the service → S3 (SeaweedFS) multipart upload."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.uploads.storage import MIN_PART_BYTES, Storage

from .conftest import SettingsFactory
from .support import free_port, running_client
from .upload_support import bucket_contents, not_an_image, png

KIB = 1024
MIB = 1024 * KIB


async def upload(
    client: AsyncClient, data: bytes, filename: str = "photo.png", content_type: str = "image/png"
) -> httpx.Response:
    return await client.post("/api/v1/uploads", files={"file": (filename, data, content_type)})


async def test_small_file_is_stored_and_downloadable(client: AsyncClient) -> None:
    data = png(10 * KIB)

    created = await upload(client, data, filename="holiday photo.png")
    read = await client.get(f"/api/v1/uploads/{created.json()['id']}")
    async with httpx.AsyncClient() as s3:
        download = await s3.get(read.json()["download_url"])

    assert created.status_code == 201, created.text
    assert created.json()["status"] == "complete"
    assert created.json()["size"] == len(data)
    assert created.json()["content_type"] == "image/png"
    assert created.json()["checksum"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert read.json()["filename"] == "holiday photo.png"
    assert download.content == data


async def test_large_file_goes_up_in_parts(client: AsyncClient, storage: Storage) -> None:
    data = png(2 * MIN_PART_BYTES + 123)

    created = await upload(client, data)
    keys, multipart = await bucket_contents(storage)
    stored = await storage.client.get_object(Bucket=storage.bucket, Key=keys[0])
    body = await stored["Body"].read()

    assert created.status_code == 201, created.text
    assert created.json()["size"] == len(data)
    assert body == data
    assert stored["ETag"].strip('"').endswith("-3")  # three parts
    assert multipart == []


async def test_other_form_fields_are_ignored(client: AsyncClient) -> None:
    data = png(KIB)

    created = await client.post(
        "/api/v1/uploads",
        data={"note": "x" * 10_000},
        files={"file": ("a.png", data, "image/png")},
    )

    assert created.status_code == 201, created.text
    assert created.json()["size"] == len(data)


async def test_oversize_is_413_and_the_multipart_upload_is_aborted(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    async with running_client(make_settings(max_upload_bytes=6 * MIB)) as client:
        response = await upload(client, png(8 * MIB))
        listed = await client.get("/api/v1/uploads/00000000-0000-0000-0000-000000000000")

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_bytes"] == 6 * MIB
    assert listed.status_code == 404
    assert await bucket_contents(storage) == ([], [])


async def test_wrong_magic_bytes_are_415_whatever_the_name_and_type(
    client: AsyncClient, storage: Storage
) -> None:
    response = await upload(client, not_an_image(KIB), filename="cat.png", content_type="image/png")

    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert await bucket_contents(storage) == ([], [])


async def test_tiny_file_of_unknown_type_is_415(client: AsyncClient, storage: Storage) -> None:
    response = await upload(client, b"hi")

    assert response.status_code == 415
    assert await bucket_contents(storage) == ([], [])


async def test_traversal_names_are_stored_under_generated_keys(
    client: AsyncClient, storage: Storage
) -> None:
    created = await upload(client, png(KIB), filename="../../../etc/passwd.png")
    keys, _ = await bucket_contents(storage)

    assert created.status_code == 201, created.text
    assert created.json()["filename"] == "passwd.png"
    assert len(keys) == 1
    assert keys[0].startswith("uploads/")
    assert "passwd" not in keys[0]


async def test_a_body_cut_short_is_422_and_the_multipart_upload_is_aborted(
    client: AsyncClient, storage: Storage
) -> None:
    boundary = "cut-short-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        data = png(2 * MIN_PART_BYTES)
        for start in range(0, len(data), MIB):
            yield data[start : start + MIB]
        # ... and the closing boundary never comes.

    response = await client.post(
        "/api/v1/uploads",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    assert response.status_code == 422
    assert await bucket_contents(storage) == ([], [])


async def test_a_body_without_a_file_part_is_422(client: AsyncClient) -> None:
    no_file = await client.post("/api/v1/uploads", files={"other": ("a.png", png(KIB))})
    not_a_form = await client.post("/api/v1/uploads", json={"file": "x"})

    assert no_file.status_code == 422
    assert not_a_form.status_code == 422
    assert not_a_form.headers["content-type"] == "application/problem+json"


async def test_s3_down_is_503_problem(make_settings: SettingsFactory) -> None:
    settings = make_settings(s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
    async with running_client(settings) as client:
        response = await upload(client, png(KIB))

    assert response.status_code == 503
    assert response.json()["type"] == "urn:problem-type:storage-unavailable"
