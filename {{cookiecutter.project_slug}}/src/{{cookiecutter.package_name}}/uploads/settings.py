"""Object storage and upload settings."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from .. import DISTRIBUTION
from ..environment import EnvironmentSettings
from ..middleware.settings import Origins

MIB = 1024 * 1024
DEFAULT_UPLOAD_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
# The S3 key of .env.example and compose.yaml's local server; refused in production.
LOCAL_S3_SECRET = "local-dev-secret"  # noqa: S105


class StorageSettings(EnvironmentSettings):
    """Object storage: any S3-compatible server; no endpoint means AWS itself."""

    s3_endpoint_url: str | None = None
    # The same server as clients reach it: presigned URLs handed out are signed for
    # this address (the signature covers the host). Unset: S3_ENDPOINT_URL.
    s3_public_endpoint_url: str | None = None
    s3_bucket: str = Field(default=DISTRIBUTION, min_length=3, max_length=63)
    s3_region: str = "us-east-1"
    # Unset: the SDK's own chain (instance role, web identity, ~/.aws).
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    s3_max_connections: int = Field(default=50, ge=1)
    # Web origins the bucket's CORS rule lets download (and, with presigned uploads, POST)
    # from a browser; applied by python -m <package>.cli.prepare_bucket. Unset: CORS_ORIGINS.
    s3_cors_origins: Origins = ()

    @model_validator(mode="before")
    @classmethod
    def bucket_origins_default_to_cors_origins(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("s3_cors_origins") is None:
            return {**data, "s3_cors_origins": data.get("cors_origins", ())}
        return data

    @model_validator(mode="after")
    def refuse_local_key_in_production(self) -> Self:
        key = self.aws_secret_access_key
        if self.is_production and key and key.get_secret_value() == LOCAL_S3_SECRET:
            msg = (
                "AWS_SECRET_ACCESS_KEY is the local development key: set the bucket's real "
                "key in production, or leave both AWS_* keys unset to use the instance's role"
            )
            raise ValueError(msg)
        return self


class UploadSettings(StorageSettings):
    """What every upload strategy is configured with; a strategy may add its own."""

    max_upload_bytes: int = Field(default=100 * MIB, ge=1)
    # Comma-separated media types, checked against the sniffed type of each upload.
    allowed_upload_types: Annotated[frozenset[str], NoDecode] = frozenset(DEFAULT_UPLOAD_TYPES)
    # Lifetime of the presigned download URLs handed out, in seconds.
    download_url_expiry: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    # Uploads still pending after this many seconds are removed by the cleanup command.
    upload_expiry: int = Field(default=24 * 3600, ge=60)

    @field_validator("allowed_upload_types", mode="before")
    @classmethod
    def split_types(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
        return value
