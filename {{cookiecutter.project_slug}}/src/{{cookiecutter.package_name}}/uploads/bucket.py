"""The bucket rules uploads rely on: lifecycle expiry of what is left pending, and CORS."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog
from botocore.exceptions import ClientError

from .service import PENDING_PREFIX
from .settings import UploadSettings
from .storage import Storage, create_storage

if TYPE_CHECKING:
    from types_aiobotocore_s3.type_defs import CORSRuleTypeDef, LifecycleRuleTypeDef

log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)

ABORT_MULTIPART_RULE = "abort-incomplete-multipart-uploads"
EXPIRE_PENDING_RULE = "expire-pending-uploads"
CORS_RULE = "browser-uploads-and-downloads"
SECONDS_PER_DAY = 24 * 3600
# What S3 answers for a bucket that has no such configuration yet.
NO_LIFECYCLE = "NoSuchLifecycleConfiguration"
NO_CORS = "NoSuchCORSConfiguration"
NOT_IMPLEMENTED = frozenset({"NotImplemented", "501"})


def lifecycle_rules(settings: UploadSettings) -> list[LifecycleRuleTypeDef]:
    days = max(1, math.ceil(settings.upload_expiry / SECONDS_PER_DAY))
    return [
        {
            "ID": ABORT_MULTIPART_RULE,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
        },
        {
            "ID": EXPIRE_PENDING_RULE,
            "Status": "Enabled",
            "Filter": {"Prefix": PENDING_PREFIX},
            "Expiration": {"Days": days},
        },
    ]


def cors_rules(settings: UploadSettings, methods: Sequence[str]) -> list[CORSRuleTypeDef]:
    """Pages on S3_CORS_ORIGINS may send these methods (the upload strategy's) to the bucket."""
    if not settings.s3_cors_origins:
        return []
    return [
        {
            "ID": CORS_RULE,
            "AllowedOrigins": list(settings.s3_cors_origins),
            "AllowedMethods": list(methods),
            "AllowedHeaders": ["*"],
            # What a page's script reads of a download (and ETag of a presigned POST).
            "ExposeHeaders": ["ETag", "Content-Disposition", "Content-Length", "Content-Type"],
            "MaxAgeSeconds": 3600,
        }
    ]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code"))


async def ensure_bucket(storage: Storage) -> bool:
    """Create the bucket unless it exists; True when it was created."""
    try:
        await storage.ping()
    except ClientError as exc:
        if error_code(exc) not in {"404", "NoSuchBucket", "NotFound"}:
            raise
        await storage.client.create_bucket(Bucket=storage.bucket)
        return True
    return False


async def set_lifecycle(storage: Storage, rules: list[LifecycleRuleTypeDef]) -> None:
    """Replace this service's lifecycle rules, keeping the bucket's others."""
    try:
        answer = await storage.client.get_bucket_lifecycle_configuration(Bucket=storage.bucket)
        existing = answer.get("Rules", [])
    except ClientError as exc:
        if error_code(exc) != NO_LIFECYCLE:
            raise
        existing = []
    ours = {rule["ID"] for rule in rules}
    kept = [rule for rule in existing if rule.get("ID") not in ours]
    await storage.client.put_bucket_lifecycle_configuration(
        Bucket=storage.bucket, LifecycleConfiguration={"Rules": [*kept, *rules]}
    )


async def set_cors(storage: Storage, rules: list[CORSRuleTypeDef]) -> None:
    """Replace this service's CORS rule, keeping the bucket's others."""
    try:
        answer = await storage.client.get_bucket_cors(Bucket=storage.bucket)
        existing = answer.get("CORSRules", [])
    except ClientError as exc:
        if error_code(exc) != NO_CORS:
            raise
        existing = []
    kept = [rule for rule in existing if rule.get("ID") != CORS_RULE]
    if kept or rules:
        await storage.client.put_bucket_cors(
            Bucket=storage.bucket, CORSConfiguration={"CORSRules": [*kept, *rules]}
        )
    elif existing:  # only our rule was there, and no origin is configured now
        await storage.client.delete_bucket_cors(Bucket=storage.bucket)


async def prepare_bucket(settings: UploadSettings, cors_methods: Sequence[str]) -> dict[str, Any]:
    """Create the bucket if needed and install its rules; returns what was done."""
    async with create_storage(settings) as storage:
        created = await ensure_bucket(storage)
        try:
            await set_lifecycle(storage, lifecycle_rules(settings))
            lifecycle = True
        except ClientError as exc:
            if error_code(exc) not in NOT_IMPLEMENTED:
                raise
            lifecycle = False
            log.warning("bucket_lifecycle_unsupported", bucket=storage.bucket)
        await set_cors(storage, cors_rules(settings, cors_methods))
    done = {
        "bucket": settings.s3_bucket,
        "created": created,
        "lifecycle": lifecycle,
        "cors_origins": list(settings.s3_cors_origins),
    }
    log.info("bucket_prepared", **done)
    return done
