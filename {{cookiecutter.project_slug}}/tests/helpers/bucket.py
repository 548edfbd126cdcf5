"""The test bucket: what it holds, and emptying it."""

from __future__ import annotations

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
