"""What every upload strategy shares: names, sniffing, reads and the cleanup command."""

from __future__ import annotations

import uuid

import pytest

from {{ cookiecutter.package_name }}.uploads import service
from {{ cookiecutter.package_name }}.uploads.content import display_name, sniff
from {{ cookiecutter.package_name }}.uploads.models import Upload
from {{ cookiecutter.package_name }}.uploads.storage import (
    content_disposition,
)

from ..helpers.settings import SettingsFactory
from ..helpers.uploads import not_an_image, png


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


def test_allowed_types_are_a_comma_separated_setting(make_settings: SettingsFactory) -> None:
    settings = make_settings(allowed_upload_types=" image/png, Application/PDF ,")

    assert settings.allowed_upload_types == frozenset({"image/png", "application/pdf"})


def test_unfinished_bytes_live_where_the_lifecycle_rule_expires_them() -> None:
    upload = Upload(id=uuid.uuid4(), key=service.new_key())

    assert upload.key.startswith(service.UPLOADS_PREFIX)
    assert service.pending_key(upload.key).startswith(service.PENDING_PREFIX)
    assert service.upload_key_of(service.pending_key(upload.key)) == upload.key
    # A strategy's own names under the pending key (a resumable upload's tails, say).
    assert service.upload_key_of(f"{service.pending_key(upload.key)}.tail-3") == upload.key
