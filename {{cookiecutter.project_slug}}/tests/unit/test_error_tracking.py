"""Error tracking's events: what they carry and what they never do (tests/integration
sends real ones), and a service without SENTRY_DSN that never loads the SDK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from asgi_correlation_id import correlation_id
from opentelemetry import trace

from {{ cookiecutter.package_name }}.error_tracking import prepare_event, redact_breadcrumb

from ..helpers import PROJECT_DIR
from ..helpers.processes import service_environment
from ..helpers.settings import SettingsFactory

if TYPE_CHECKING:
    from sentry_sdk.types import Event

# A service built, one request served, and the modules of Sentry's SDK it loaded.
SERVE_ONE_REQUEST = """
import asyncio, sys
import httpx
from {{ cookiecutter.package_name }}.main import create_app

async def main() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.get("/health/live")
    assert response.status_code == 200, response.text
    print(sorted(name for name in sys.modules if name.partition(".")[0] == "sentry_sdk"))

asyncio.run(main())
"""


@pytest.mark.processes
def test_without_dsn_the_sdk_is_never_imported(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    environment = {name: value for name, value in os.environ.items() if name != "SENTRY_DSN"}
    environment |= service_environment(make_settings())
    environment["PYTHONPATH"] = os.pathsep.join([str(PROJECT_DIR / "src"), *sys.path])

    # In an empty directory: no .env there names a DSN either.
    served = subprocess.run(  # noqa: S603  # this interpreter, a fixed script
        [sys.executable, "-c", SERVE_ONE_REQUEST],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert served.returncode == 0, served.stderr
    assert served.stdout.splitlines()[-1] == "[]"


def test_events_carry_the_request_and_trace_ids_and_no_secrets() -> None:
    event: dict[str, Any] = {
        "message": "upstream refused Bearer eyJhbGciOi.payload.sig",
        "request": {
            "headers": {"Authorization": "Basic dXNlcjpwYXNz", "X-Request-ID": "req-7"},
            "cookies": {"session": "s3ss10n"},
            "data": {"email": "ada@example.com", "password": "hunter2-password"},
        },
        "extra": {"url": "https://s3.example.com/k?X-Amz-Expires=300&X-Amz-Signature=abc123"},
    }
    request_id = correlation_id.set("req-7")
    try:
        span = trace.NonRecordingSpan(
            trace.SpanContext(
                trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
                span_id=0x00F067AA0BA902B7,
                is_remote=False,
                trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
            )
        )
        with trace.use_span(span):
            sent = cast("dict[str, Any]", prepare_event(cast("Event", event), {}))
    finally:
        correlation_id.reset(request_id)

    text = str(sent)
    for secret in ("eyJhbGciOi", "dXNlcjpwYXNz", "s3ss10n", "hunter2", "abc123"):
        assert secret not in text
    assert sent["tags"] == {
        "request_id": "req-7",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    assert sent["request"]["data"]["email"] == "ada@example.com"
    assert sent["request"]["headers"]["Authorization"] == "[REDACTED]"


def test_events_outside_requests_carry_no_ids() -> None:
    sent = prepare_event({"message": "at start-up"}, {})

    assert sent["tags"] == {}


def test_breadcrumbs_are_redacted() -> None:
    crumb = {"category": "httplib", "data": {"url": "https://h/?Signature=abc&Expires=1"}}

    redacted = redact_breadcrumb(crumb, {})

    assert redacted["data"]["url"] == "https://h/?Signature=[REDACTED]&Expires=1"
