"""What every upload strategy shares: names, sniffing, reads and the cleanup command."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from {{ cookiecutter.package_name }}.db.base import utcnow
from {{ cookiecutter.package_name }}.db.engine import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.uploads import service
from {{ cookiecutter.package_name }}.uploads.cleanup import cleanup
from {{ cookiecutter.package_name }}.uploads.content import display_name, sniff
from {{ cookiecutter.package_name }}.uploads.models import Upload
from {{ cookiecutter.package_name }}.uploads.storage import (
    PartBuffer,
    Storage,
    content_disposition,
)

from .conftest import SettingsFactory
from .upload_support import bucket_contents, not_an_image, png


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("photo.png", "photo.png"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("evil\x00name\r\n.png", "evilname.png"),
        ("..", "upload"),
        (".hidden", "hidden"),
        ("", "upload"),
        (None, "upload"),
        ("x" * 300 + ".png", "x" * 255),
        ("résumé.pdf", "résumé.pdf"),
    ],
)
def test_display_names_lose_paths_and_control_characters(sent: str | None, shown: str) -> None:
    assert display_name(sent) == shown


def test_types_come_from_magic_numbers() -> None:
    assert sniff(png()) == "image/png"
    assert sniff(b"%PDF-1.7\n" + b"\x00" * 100) == "application/pdf"
    assert sniff(b"GIF89a" + b"\x00" * 100) == "image/gif"
    assert sniff(not_an_image()) is None


def test_content_disposition_quotes_any_name() -> None:
    header = content_disposition('a "quoted" naïve name.png')
    assert header.startswith('attachment; filename="a _quoted_ na_ve name.png"')
    assert header.endswith("filename*=UTF-8''a%20%22quoted%22%20na%C3%AFve%20name.png")


def test_part_buffer_cuts_parts_across_chunks() -> None:
    buffer = PartBuffer(4, length=10)
    buffer.append(b"abc")
    head = buffer.head(2)
    for chunk in (b"", b"defgh", b"i"):
        buffer.append(chunk)

    assert head == b"ab"
    assert len(buffer) == 9
    assert buffer.head(5) == b"abcd"  # no further than the first part
    assert [part.read() for part in buffer.ready] == [b"abcd", b"efgh"]
    assert buffer.rest() == b"i"


def test_part_buffer_takes_more_bytes_than_announced() -> None:
    buffer = PartBuffer(4, length=3)
    buffer.append(b"abcdef")

    assert [part.read() for part in buffer.ready] == [b"abcd"]
    assert buffer.rest() == b"ef"


def test_allowed_types_are_a_comma_separated_setting(make_settings: SettingsFactory) -> None:
    settings = make_settings(allowed_upload_types=" image/png, Application/PDF ,")

    assert settings.allowed_upload_types == frozenset({"image/png", "application/pdf"})


async def test_unknown_upload_is_404_problem(client: AsyncClient) -> None:
    response = await client.get(f"/api/v1/uploads/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_malformed_upload_id_is_422(client: AsyncClient) -> None:
    response = await client.get("/api/v1/uploads/not-a-uuid")

    assert response.status_code == 422


async def test_cleanup_removes_stale_pending_uploads_and_their_objects(
    make_settings: SettingsFactory, storage: Storage
) -> None:
    settings = make_settings(upload_expiry=3600)
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            stale = service.new_upload(session, owner=None, filename="old.png")
            stale.created_at = utcnow() - timedelta(hours=2)
            fresh = service.new_upload(session, owner=None, filename="new.png")
            await session.commit()
        await storage.put(stale.key, png())
        await storage.put(fresh.key, png())

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
