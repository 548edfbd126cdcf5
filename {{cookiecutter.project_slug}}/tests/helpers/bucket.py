"""The test bucket: what it holds, emptying it, and what browsers may send it."""

from __future__ import annotations

import httpx

from {{ cookiecutter.package_name }}.uploads.settings import StorageSettings
from {{ cookiecutter.package_name }}.uploads.storage import Storage


async def empty_bucket(storage: Storage) -> None:
    """Delete every object and abort every multipart upload in the bucket."""
    for key, upload_id in await multipart_uploads(storage):
        await storage.client.abort_multipart_upload(
            Bucket=storage.bucket, Key=key, UploadId=upload_id
        )
    for key in await object_keys(storage):
        await storage.delete(key)


async def object_keys(storage: Storage) -> list[str]:
    keys = []
    paginator = storage.client.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=storage.bucket):
        keys += [entry["Key"] for entry in page.get("Contents", [])]
    return keys


async def multipart_uploads(storage: Storage) -> list[tuple[str, str]]:
    """(key, upload id) of every multipart upload neither completed nor aborted."""
    answer = await storage.client.list_multipart_uploads(Bucket=storage.bucket)
    return [(entry["Key"], entry["UploadId"]) for entry in answer.get("Uploads", [])]


CORS_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")


async def methods_allowed_from(settings: StorageSettings, origin: str) -> set[str]:
    """The methods the bucket's CORS rules let a page on origin send, by asking S3 the
    preflight question a browser asks before each."""
    url = f"{settings.s3_endpoint_url}/{settings.s3_bucket}/any-key"
    allowed = set()
    async with httpx.AsyncClient() as client:
        for method in CORS_METHODS:
            answer = await client.options(
                url, headers={"Origin": origin, "Access-Control-Request-Method": method}
            )
            granted = answer.headers.get("Access-Control-Allow-Methods", "")
            if method in {part.strip() for part in granted.split(",")}:
                allowed.add(method)
    return allowed
