"""What every upload strategy shares: names, sniffing, reads and the cleanup command."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from httpx import AsyncClient
from sqlalchemy import delete, select

from {{ cookiecutter.package_name }}.cli.cleanup_uploads import cleanup
from {{ cookiecutter.package_name }}.db.base import utcnow
from {{ cookiecutter.package_name }}.db.engine import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.uploads import service
from {{ cookiecutter.package_name }}.uploads.bucket import prepare_bucket
from {{ cookiecutter.package_name }}.uploads.models import Upload
from {{ cookiecutter.package_name }}.uploads.storage import (
    Storage,
    create_storage,
)
from {{ cookiecutter.package_name }}.uploads.strategy import BUCKET_CORS_METHODS
from {{ cookiecutter.package_name }}.users.models import User

from ..helpers.bucket import empty_bucket, methods_allowed_from
from ..helpers.clients import signed_in
from ..helpers.settings import SettingsFactory
from ..helpers.uploads import bucket_contents, png, put_object, second_address

if TYPE_CHECKING:
    from types_aiobotocore_s3.type_defs import CORSRuleTypeDef, LifecycleRuleTypeDef


async def add_upload(settings: Settings, *, owner: int, filename: str = "a.png") -> Upload:
    """A pending upload of owner's, straight into the database."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            upload = service.new_upload(session, owner=owner, filename=filename)
            await session.commit()
    finally:
        await engine.dispose()
    return upload


async def add_user(settings: Settings, email: str = "owner@example.com") -> int:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            user = User(email=email, password_hash="not-a-hash")  # never logs in
            session.add(user)
            await session.commit()
            return user.id
    finally:
        await engine.dispose()


async def test_unknown_upload_is_404_problem(client: AsyncClient) -> None:
    await signed_in(client)

    response = await client.get(f"/api/v1/uploads/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_malformed_upload_id_names_no_upload(client: AsyncClient) -> None:
    await signed_in(client)

    response = await client.get("/api/v1/uploads/not-a-uuid")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_uploads_are_read_by_their_owner_only(
    client: AsyncClient, make_settings: SettingsFactory
) -> None:
    await signed_in(client, email="ada@example.com")
    ada = (await client.get("/api/v1/users/me")).json()["id"]
    upload = await add_upload(make_settings(), owner=ada)

    by_owner = await client.get(f"/api/v1/uploads/{upload.id}")
    await signed_in(client, email="grace@example.com")
    by_other = await client.get(f"/api/v1/uploads/{upload.id}")

    assert by_owner.status_code == 200
    assert by_owner.json()["id"] == str(upload.id)
    assert by_other.status_code == 404  # not 403: others' ids are not even confirmed
    assert by_other.headers["content-type"] == "application/problem+json"


async def test_reading_an_upload_needs_a_session(
    client: AsyncClient, make_settings: SettingsFactory
) -> None:
    upload = await add_upload(make_settings(), owner=await add_user(make_settings()))

    response = await client.get(f"/api/v1/uploads/{upload.id}")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_session_whose_account_is_gone_is_401(
    client: AsyncClient, make_settings: SettingsFactory
) -> None:
    await signed_in(client)
    me = (await client.get("/api/v1/users/me")).json()["id"]
    engine = create_engine(make_settings())
    try:
        async with engine.begin() as connection:
            await connection.execute(delete(User).where(User.id == me))
    finally:
        await engine.dispose()

    response = await client.get(f"/api/v1/uploads/{uuid.uuid4()}")

    assert response.status_code == 401


async def test_cleanup_removes_stale_pending_uploads_and_their_objects(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    settings = make_settings(upload_expiry=3600)
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        owner = await add_user(settings)
        async with sessions() as session:
            stale = service.new_upload(session, owner=owner, filename="old.png")
            stale.created_at = utcnow() - timedelta(hours=2)
            fresh = service.new_upload(session, owner=owner, filename="new.png")
            await session.commit()
        await put_object(storage, stale.key, png())
        await put_object(storage, fresh.key, png())

        removed = await cleanup(settings)

        async with sessions() as session:
            left = set(await session.scalars(select(Upload.id)))
    finally:
        await engine.dispose()
    keys, multipart = await bucket_contents(storage)
    assert removed == 1
    assert left == {fresh.id}
    assert keys == [fresh.key]
    assert multipart == []


FOREIGN_LIFECYCLE_RULE: LifecycleRuleTypeDef = {
    "ID": "team-logs-expiry",
    "Status": "Enabled",
    "Filter": {"Prefix": "logs/"},
    "Expiration": {"Days": 30},
}
FOREIGN_CORS_RULE: CORSRuleTypeDef = {
    "ID": "team-dashboard",
    "AllowedOrigins": ["https://dashboard.example.com"],
    "AllowedMethods": ["GET"],
}


async def add_foreign_rules(storage: Storage) -> None:
    """Rules of the bucket's owner, next to the service's: they must survive."""
    lifecycle = await storage.client.get_bucket_lifecycle_configuration(Bucket=storage.bucket)
    await storage.client.put_bucket_lifecycle_configuration(
        Bucket=storage.bucket,
        LifecycleConfiguration={"Rules": [*lifecycle["Rules"], FOREIGN_LIFECYCLE_RULE]},
    )
    cors = await storage.client.get_bucket_cors(Bucket=storage.bucket)
    await storage.client.put_bucket_cors(
        Bucket=storage.bucket,
        CORSConfiguration={"CORSRules": [FOREIGN_CORS_RULE, *cors["CORSRules"]]},
    )


async def test_prepare_bucket_creates_it_and_installs_its_rules_once(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(
        s3_bucket=f"prepare-{uuid.uuid4().hex[:12]}",
        upload_expiry=36 * 3600,  # a day and a half: rules count whole days
        s3_cors_origins="https://app.example.com/, https://admin.example.com",
    )
    async with create_storage(settings) as storage:
        try:
            first = await prepare_bucket(settings, BUCKET_CORS_METHODS)
            allowed = await methods_allowed_from(settings, "https://app.example.com")
            foreign = await methods_allowed_from(settings, "https://elsewhere.example.com")
            await add_foreign_rules(storage)
            again = await prepare_bucket(settings, BUCKET_CORS_METHODS)
            client = storage.client
            lifecycle = await client.get_bucket_lifecycle_configuration(Bucket=storage.bucket)
            cors = await client.get_bucket_cors(Bucket=storage.bucket)
            await prepare_bucket(
                settings.model_copy(update={"s3_cors_origins": ()}), BUCKET_CORS_METHODS
            )
            cors_without_origins = await client.get_bucket_cors(Bucket=storage.bucket)
        finally:
            await empty_bucket(storage)
            await storage.client.delete_bucket(Bucket=storage.bucket)

    assert first["created"] is True
    assert again["created"] is False
    rules = {rule["ID"]: rule for rule in lifecycle["Rules"]}
    assert sorted(rules) == [
        "abort-incomplete-multipart-uploads",
        "expire-pending-uploads",
        "team-logs-expiry",
    ]
    abort = rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"]
    assert abort == {"DaysAfterInitiation": 2}
    assert rules["expire-pending-uploads"]["Filter"] == {"Prefix": service.PENDING_PREFIX}
    assert rules["expire-pending-uploads"]["Expiration"] == {"Days": 2}
    origins = [rule["AllowedOrigins"] for rule in cors["CORSRules"]]
    assert origins == [
        ["https://dashboard.example.com"],
        ["https://app.example.com", "https://admin.example.com"],
    ]
    # Pages may download; they may POST only where the upload strategy has them send
    # files to the bucket (presigned).
    assert allowed == set(BUCKET_CORS_METHODS)
    assert foreign == set()
    assert [rule["ID"] for rule in cors_without_origins["CORSRules"]] == ["team-dashboard"]


async def test_urls_handed_out_are_signed_for_the_public_endpoint(
    make_settings: SettingsFactory,
) -> None:
    """S3_PUBLIC_ENDPOINT_URL: the address browsers reach (compose: localhost, not s3)."""
    internal = make_settings().s3_endpoint_url
    assert internal is not None
    async with second_address(internal) as public:
        settings = make_settings(s3_public_endpoint_url=public)
        async with create_storage(settings) as storage, httpx.AsyncClient() as http:
            await put_object(storage, "uploads/public-probe", b"stored bytes")
            download = await storage.presigned_get(
                "uploads/public-probe",
                filename="probe.txt",
                content_type="text/plain",
                expires_in=60,
            )
            at_public = await http.get(download)
            # The signature covers the host: the same URL at the internal address fails.
            at_internal = await http.get(download.replace(public, internal.rstrip("/"), 1))

    assert download.startswith(f"{public}/")
    assert at_public.status_code == 200, at_public.text
    assert at_public.content == b"stored bytes"
    assert at_internal.status_code == 403
