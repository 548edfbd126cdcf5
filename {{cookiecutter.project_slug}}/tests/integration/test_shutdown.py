"""On SIGTERM the service fails readiness first, serves on through the drain, then exits."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ..helpers.clients import PASSWORD
from ..helpers.logs import json_lines
from ..helpers.processes import START_TIMEOUT_SECONDS, ServiceProcess, service_main
from ..helpers.settings import SettingsFactory

pytestmark = pytest.mark.processes

# Long enough for the requests below to be answered well inside it.
DRAIN_SECONDS = 4


def registration(email: str) -> bytes:
    return json.dumps({"email": email, "password": PASSWORD}).encode()


def held(
    body: bytes, first_part_sent: threading.Event, release: threading.Event
) -> Iterator[bytes]:
    """The body in two parts, the second once released: the request stays in flight."""
    yield body[:10]
    first_part_sent.set()
    release.wait(START_TIMEOUT_SECONDS)
    yield body[10:]


def register(service: ServiceProcess, content: bytes | Iterator[bytes]) -> httpx.Response:
    # A connection of its own per request, as a new client's.
    return httpx.post(
        f"{service.url}/api/v1/auth/register",
        content=content,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


def test_sigterm_fails_readiness_drains_then_exits_cleanly(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    settings = make_settings(shutdown_drain_seconds=DRAIN_SECONDS)
    first_part_sent, release = threading.Event(), threading.Event()
    with (
        service_main(settings, tmp_path / "service.log") as service,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        ready_before = httpx.get(f"{service.url}/health/ready", timeout=30)
        body = held(registration("in-flight@example.com"), first_part_sent, release)
        in_flight = pool.submit(register, service, body)
        assert first_part_sent.wait(START_TIMEOUT_SECONDS)

        service.process.send_signal(signal.SIGTERM)
        ready_during = httpx.get(f"{service.url}/health/ready", timeout=30)
        live_during = httpx.get(f"{service.url}/health/live", timeout=30)
        new_during = register(service, registration("new@example.com"))
        release.set()
        finished = in_flight.result(timeout=START_TIMEOUT_SECONDS)
        exit_status = service.process.wait(timeout=START_TIMEOUT_SECONDS)
    events = [line["event"] for line in json_lines(service.log_file.read_text())]

    assert ready_before.status_code == 200
    assert ready_during.status_code == 503
    assert ready_during.headers["content-type"] == "application/problem+json"
    assert ready_during.json()["type"] == "urn:problem-type:shutting-down"
    assert live_during.status_code == 200
    assert new_during.status_code == 201
    assert finished.status_code == 201
    # Stopped by the drain's end, not by a second signal, and cleanly.
    assert events.index("shutdown_draining") < events.index("shutdown_drained")
    assert exit_status == 0
