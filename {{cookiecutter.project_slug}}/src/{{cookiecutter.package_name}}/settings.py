"""Service configuration: one Settings object, read from the environment and .env."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from . import DISTRIBUTION
from .db import backend

PLACEHOLDER_SECRET = "change-me"  # noqa: S105  # refused in production
# The S3 key of .env.example and compose.yaml's local server; refused in production.
LOCAL_S3_SECRET = "local-dev-secret"  # noqa: S105
MIN_SECRET_LENGTH = 32
MIB = 1024 * 1024
DEFAULT_UPLOAD_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
# OWASP's floor for argon2id (19 MiB, 2 passes); production refuses less.
MIN_PASSWORD_HASH_MEMORY_KIB = 19 * 1024
MIN_PASSWORD_HASH_TIME_COST = 2
# A web origin as browsers send it: scheme, host and optional port, no path.
WEB_ORIGIN = re.compile(r"https?://[^/?#\s]+")


class Settings(BaseSettings):
    """Every setting of the service; names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: Literal["dev", "test", "prod"] = "dev"
    service_name: str = DISTRIBUTION
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)

    # Any URL form platforms hand out; normalised to the async driver.
    database_url: str
    db_pool_enabled: bool = True  # false: one connection per session (behind PgBouncer)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    # How long a request waits for a free pooled connection before a 503.
    db_pool_timeout: float = Field(default=2.0, gt=0)
    # Below the idle cut-off of servers and proxies (MySQL wait_timeout, cloud NATs).
    db_pool_recycle: int = Field(default=1800, ge=-1)
    db_pool_pre_ping: bool = True
    # Test only connections idle longer than this (seconds); 0 tests every checkout.
    db_pool_ping_after_idle: float = Field(default=10.0, ge=0)
    db_connect_timeout: float = Field(default=5.0, gt=0)
    # Longest a statement may run: the server cancels it, and the client stops waiting
    # for an answer (a stalled link) shortly after. 0 = none.
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)

    redis_url: str
    # Prefix of every key and channel: services (or test runs) can share one Redis.
    redis_namespace: str = Field(default=DISTRIBUTION, min_length=1)
    redis_max_connections: int = Field(default=50, ge=1)
    # How long a request waits for a free pooled Redis connection.
    redis_pool_timeout: float = Field(default=1.0, gt=0)
    redis_socket_timeout: float = Field(default=1.0, gt=0)
    redis_connect_timeout: float = Field(default=1.0, gt=0)

    # Largest request body outside the upload routes (which stream up to MAX_UPLOAD_BYTES).
    max_request_bytes: int = Field(default=MIB, ge=1)
    # Bearer token /metrics asks for; required in production, open without one elsewhere.
    metrics_token: SecretStr | None = None

    # Two-level cache: L1 in each process, L2 in Redis.
    cache_l1_max_items: int = Field(default=10_000, ge=1)
    cache_l1_ttl: float = Field(default=60.0, gt=0)
    cache_ttl: float = Field(default=600.0, gt=0)  # L2, and the longest a caller may ask
    cache_ttl_jitter: float = Field(default=0.1, ge=0, lt=1)
    # Redis is only an optimisation for the cache: give up on it quickly.
    cache_redis_timeout: float = Field(default=0.25, gt=0)
    cache_lock_ttl: float = Field(default=5.0, gt=0)
    cache_lock_wait: float = Field(default=2.0, gt=0)
    cache_breaker_cooldown: float = Field(default=5.0, gt=0)

    # Comma-separated web origins whose pages may call the API from a browser (CORS),
    # e.g. https://app.example.com; empty: none. "*" only without credentials.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    # Object storage: any S3-compatible server; no endpoint means AWS itself.
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
    # Comma-separated web origins the bucket's CORS rule lets read (and, with presigned
    # uploads, POST) from a browser; applied by python -m <package>.cli.prepare_bucket.
    # Unset: CORS_ORIGINS.
    s3_cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    max_upload_bytes: int = Field(default=100 * MIB, ge=1)
    # Comma-separated media types, checked against the sniffed type of each upload.
    allowed_upload_types: Annotated[frozenset[str], NoDecode] = frozenset(DEFAULT_UPLOAD_TYPES)
    # Lifetime of presigned upload and download URLs, in seconds.
    upload_url_expiry: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    download_url_expiry: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    # Uploads still pending after this many seconds are removed by the cleanup command.
    upload_expiry: int = Field(default=24 * 3600, ge=60)

    # Users and sessions ({{ cookiecutter.session_strategy }} strategy).
    # argon2id cost; lower it only in tests (production refuses values below OWASP's floor).
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=8)
    # Failed logins allowed per window, per email and per client IP, before 429.
    login_max_failures_per_email: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=50, ge=1)
    login_failure_window: int = Field(default=15 * 60, ge=1)  # seconds
    registration_max_per_ip: int = Field(
        default=10,
        ge=1,
        description="Registrations per client IP and window (taken addresses too) before 429.",
    )
    registration_window: int = Field(
        default=3600,
        ge=1,
        description="Seconds from an IP's first registration until its count resets.",
    )
    # Secure attribute on session cookies: sent over HTTPS only. Production refuses false.
    cookie_secure: bool = True
{%- if cookiecutter.session_strategy == "redis" %}
    # SameSite of the session cookie: lax serves pages of the same site (other
    # subdomains and ports too); a page on another site needs none (and HTTPS).
    cookie_samesite: Literal["lax", "strict", "none"] = "lax"
    # The session cookie rides along with the CORS_ORIGINS' requests.
    cors_allow_credentials: bool = True
    session_ttl: int = Field(default=24 * 3600, ge=60)  # idle seconds; each request renews it
    session_max_age: int = Field(default=7 * 24 * 3600, ge=60)  # seconds since login, at most
{%- else %}
    # Cross-origin pages send the access token, not cookies (true lets the refresh
    # cookie ride along too, and then refuses CORS_ORIGINS=*).
    cors_allow_credentials: bool = False
    access_token_ttl: int = Field(default=15 * 60, ge=1)  # seconds
    refresh_token_ttl: int = Field(default=7 * 24 * 3600, ge=60)  # seconds
    # HS256/384/512 sign with a key derived from SECRET_KEY; RS*, PS*, ES* and EdDSA
    # with JWT_PRIVATE_KEY and verify with JWT_PUBLIC_KEY (PEM).
    jwt_algorithm: Literal[
        "HS256",
        "HS384",
        "HS512",
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
    ] = "HS256"
    jwt_private_key: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_issuer: str = DISTRIBUTION
    jwt_audience: str = DISTRIBUTION
{%- endif %}

    @field_validator("allowed_upload_types", mode="before")
    @classmethod
    def split_types(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="before")
    @classmethod
    def bucket_origins_default_to_cors_origins(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("s3_cors_origins") is None:
            return {**data, "s3_cors_origins": data.get("cors_origins", ())}
        return data

    @field_validator("cors_origins", "s3_cors_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    @field_validator("database_url")
    @classmethod
    def use_async_driver(cls, value: str) -> str:
        return backend.async_url(value).render_as_string(hide_password=False)

    @model_validator(mode="after")
    def check_cors(self) -> Self:
        for origin in self.cors_origins:
            if origin != "*" and not WEB_ORIGIN.fullmatch(origin):
                msg = (
                    f"CORS_ORIGINS holds {origin!r}: give origins as browsers send them, "
                    "scheme://host[:port] without a path (https://app.example.com)"
                )
                raise ValueError(msg)
        if "*" in self.cors_origins and self.cors_allow_credentials:
            msg = (
                "CORS_ORIGINS=* would let every site act with a visitor's cookies: "
                "list the origins, or set CORS_ALLOW_CREDENTIALS=false"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def refuse_unsafe_production(self) -> Self:
        if self.app_env != "prod":
            return self
        secret = self.secret_key.get_secret_value()
        if secret == PLACEHOLDER_SECRET or len(secret) < MIN_SECRET_LENGTH:
            msg = f"SECRET_KEY must be a random string of at least {MIN_SECRET_LENGTH} characters"
            raise ValueError(msg)
        backend.check_production_url(backend.async_url(self.database_url))
        if self.aws_secret_access_key and (
            self.aws_secret_access_key.get_secret_value() == LOCAL_S3_SECRET
        ):
            msg = (
                "AWS_SECRET_ACCESS_KEY is the local development key: set the bucket's real "
                "key in production, or leave both AWS_* keys unset to use the instance's role"
            )
            raise ValueError(msg)
        if self.metrics_token is None or len(self.metrics_token.get_secret_value()) < (
            MIN_SECRET_LENGTH
        ):
            msg = (
                f"METRICS_TOKEN must be a random string of at least {MIN_SECRET_LENGTH} "
                "characters in production: /metrics answers only requests bearing it"
            )
            raise ValueError(msg)
        if not self.cookie_secure:
            msg = "COOKIE_SECURE must be true in production: session cookies go over HTTPS only"
            raise ValueError(msg)
        if (
            self.password_hash_memory_kib < MIN_PASSWORD_HASH_MEMORY_KIB
            or self.password_hash_time_cost < MIN_PASSWORD_HASH_TIME_COST
        ):
            msg = (
                f"PASSWORD_HASH_MEMORY_KIB must be at least {MIN_PASSWORD_HASH_MEMORY_KIB} and "
                f"PASSWORD_HASH_TIME_COST at least {MIN_PASSWORD_HASH_TIME_COST} in production"
            )
            raise ValueError(msg)
        return self


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
