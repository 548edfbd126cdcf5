from __future__ import annotations

import logging

import pytest
import structlog

from {{ cookiecutter.package_name }}.logs import configure_logging

from ..helpers.clients import running_client
from ..helpers.logs import json_lines
from ..helpers.settings import SettingsFactory


async def test_one_access_line_per_request(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_client(make_settings()) as client:
        response = await client.get(
            "/health/live?token=abc", headers={"User-Agent": "probe/1.0", "X-Request-ID": "req-42"}
        )

    access = [line for line in json_lines(capsys.readouterr().out) if line["logger"] == "access"]
    assert len(access) == 1
    line = access[0]
    assert line["event"] == "request"
    assert line["method"] == "GET"
    assert line["path"] == "/health/live"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float | int)
    assert line["client_ip"] == "203.0.113.7"
    assert line["user_agent"] == "probe/1.0"
    assert line["request_id"] == "req-42"
    assert response.headers["X-Request-ID"] == "req-42"
    assert "abc" not in str(line)


async def test_request_id_is_generated_when_missing_or_malformed(
    make_settings: SettingsFactory,
) -> None:
    async with running_client(make_settings()) as client:
        missing = await client.get("/health/live")
        malformed = await client.get("/health/live", headers={"X-Request-ID": "a b\nc"})

    assert len(missing.headers["X-Request-ID"]) == 32
    assert malformed.headers["X-Request-ID"] != "a b\nc"
    assert len(malformed.headers["X-Request-ID"]) == 32


async def test_credentials_are_redacted(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_client(make_settings()):
        structlog.get_logger("test").info(
            "login_attempt",
            password="hunter2-password",
            refresh_token="rt-123456",
            headers={"Authorization": "Basic dXNlcjpwYXNz", "Cookie": "session=abcdef"},
            note="sent Bearer eyJhbGciOi.payload.sig upstream",
            error="cannot reach redis://:r3d1s-pass@cache:6379/0 (postgresql://app@db/app)",
            email="ada@example.com",
        )

    [line] = [
        line for line in json_lines(capsys.readouterr().out) if line["event"] == "login_attempt"
    ]
    text = str(line)
    for secret in ("hunter2", "rt-123456", "dXNlcjpwYXNz", "abcdef", "eyJhbGciOi", "r3d1s"):
        assert secret not in text
    assert line["password"] == "[REDACTED]"
    assert line["headers"]["Authorization"] == "[REDACTED]"
    assert line["note"] == "sent Bearer [REDACTED] upstream"
    assert line["error"] == (
        "cannot reach redis://:[REDACTED]@cache:6379/0 (postgresql://app@db/app)"
    )
    assert line["email"] == "ada@example.com"


async def test_standard_library_records_share_the_json_lines_and_redaction(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_client(make_settings()):
        logging.getLogger("sqlalchemy.pool").warning(
            "connection reset, sent %s", "Authorization: Bearer eyJhbGciOi.payload.sig"
        )

    lines = json_lines(capsys.readouterr().out)
    [line] = [line for line in lines if line["logger"] == "sqlalchemy.pool"]
    assert line["level"] == "warning"
    assert line["event"] == "connection reset, sent Authorization: Bearer [REDACTED]"
    assert "timestamp" in line


async def test_lines_below_the_log_level_are_dropped(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_client(make_settings(log_level="WARNING")):
        structlog.get_logger("test").info("structlog_info")
        structlog.get_logger("test").warning("structlog_warning")
        logging.getLogger("test.stdlib").info("stdlib_info")
        logging.getLogger("test.stdlib").warning("stdlib_warning")

    events = {line["event"] for line in json_lines(capsys.readouterr().out)}
    assert {"structlog_warning", "stdlib_warning"} <= events
    assert not {"structlog_info", "stdlib_info"} & events


def test_console_format_writes_readable_lines_json_format_objects(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    # A logger is bound to the configuration of its first use: one per configuration.
    try:
        configure_logging(make_settings(log_format="console"))
        structlog.get_logger("test").info("console_line", answer=42, password="hunter2-password")
        console = capsys.readouterr().out
    finally:
        configure_logging(make_settings())
    structlog.get_logger("test").info("json_line", answer=42)
    [json_line] = json_lines(capsys.readouterr().out)

    [line] = [line for line in console.splitlines() if "console_line" in line]
    assert "answer=42" in line
    assert "password=[REDACTED]" in line
    assert "hunter2" not in console
    assert "{" not in line
    assert "\x1b[" not in line  # no colour codes but on a terminal
    assert json_line["event"] == "json_line"
    assert json_line["answer"] == 42


async def test_presigned_url_signatures_are_redacted(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    url = (
        "https://bucket.s3.example.com/u/1?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAEXAMPLE%2F20261207%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20261207T120000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=0123456789abcdef"
    )
    async with running_client(make_settings()):
        structlog.get_logger("test").info(
            "download", note=f"handed out {url}", fields={"x-amz-signature": "fedcba9876543210"}
        )

    [line] = [line for line in json_lines(capsys.readouterr().out) if line["event"] == "download"]
    for secret in ("0123456789abcdef", "AKIAEXAMPLE", "fedcba9876543210"):
        assert secret not in str(line)
    assert "X-Amz-Signature=[REDACTED]" in line["note"]
    assert "X-Amz-Expires=300" in line["note"]
