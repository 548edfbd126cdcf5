"""Request bodies are limited while they are read, before anything parses them."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from httpx import ASGITransport, AsyncClient
from prometheus_client import CollectorRegistry, Gauge
from starlette.types import Receive, Scope, Send

from {{ cookiecutter.package_name }}.api import streamed_body_paths
from {{ cookiecutter.package_name }}.middleware.body_limit import BodySizeLimitMiddleware

from ..helpers.clients import running_client
from ..helpers.processes import ServiceProcess
from ..helpers.settings import SettingsFactory

KIB = 1024
MIB = 1024 * KIB
PROBLEM = "application/problem+json"


async def test_a_declared_length_over_the_limit_is_413_before_reading(
    make_settings: SettingsFactory,
) -> None:
    async with running_client(make_settings(max_request_bytes=100)) as client:
        response = await client.post("/api/v1/items", json={"name": "x" * 200, "price": "1.00"})

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:problem-type:request-too-large"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


async def test_a_chunked_body_over_the_limit_is_413(client: AsyncClient) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b" " * MIB

    response = await client.post(
        "/api/v1/items", content=body(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["type"] == "urn:problem-type:request-too-large"


def test_only_the_upload_strategy_streaming_paths_are_exempt() -> None:
    limit = BodySizeLimitMiddleware(
        app=None,  # type: ignore[arg-type]
        max_bytes=1,
        exempt_paths=streamed_body_paths,
        in_progress=Gauge("in_progress", "", registry=CollectorRegistry()),
    )

    assert not limit.is_exempt("/api/v1/items")
    assert not limit.is_exempt("/api/v1/auth/register")
    for path in streamed_body_paths:
        assert limit.is_exempt(path)
        assert limit.is_exempt(f"{path}/some-id")
        assert not limit.is_exempt(f"{path}-other")


async def test_uploads_in_progress_counts_body_requests_on_the_streamed_paths_while_they_run() -> (
    None
):
    registry = CollectorRegistry()
    in_progress = Gauge("uploads_in_progress", "", registry=registry)
    seen: dict[str, float | None] = {}

    async def upload_app(scope: Scope, receive: Receive, send: Send) -> None:
        request = f"{scope['method']} {scope['path']}"
        seen[request] = registry.get_sample_value("uploads_in_progress")
        if scope["path"].endswith("/broken"):
            raise RuntimeError
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limit = BodySizeLimitMiddleware(
        upload_app, max_bytes=MIB, exempt_paths=["/uploads"], in_progress=in_progress
    )
    transport = ASGITransport(app=limit)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        for method in ("POST", "PUT", "PATCH", "GET", "HEAD", "DELETE"):
            await client.request(method, "/uploads/some-id", content=b"x")
        await client.post("/items", content=b"x")
        with pytest.raises(RuntimeError):
            await client.post("/uploads/broken", content=b"x")

    assert seen == {
        "POST /uploads/some-id": 1,
        "PUT /uploads/some-id": 1,
        "PATCH /uploads/some-id": 1,
        "GET /uploads/some-id": 0,
        "HEAD /uploads/some-id": 0,
        "DELETE /uploads/some-id": 0,
        "POST /items": 0,
        "POST /uploads/broken": 1,
    }
    assert registry.get_sample_value("uploads_in_progress") == 0


@pytest.mark.processes
def test_a_huge_chunked_body_is_refused_early_in_bounded_memory(serving: ServiceProcess) -> None:
    """A real server, a body streamed without Content-Length: the service answers
    before the client could send it all, and its memory barely grows.
    """
    body_bytes = 256 * MIB
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        chunk = b" " * (256 * KIB)
        while sent < body_bytes:
            sent += len(chunk)
            yield chunk

    assert httpx.get(f"{serving.url}/health/live").status_code == 200
    resident_before = serving.resident_bytes()
    response = httpx.post(
        f"{serving.url}/api/v1/items",
        content=body(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    peak = serving.resident_bytes("VmHWM")

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert sent < body_bytes
    assert peak - resident_before < 32 * MIB


@pytest.mark.processes
def test_a_declared_huge_length_is_answered_without_a_byte_of_body(
    serving: ServiceProcess,
) -> None:
    port = int(serving.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/v1/items HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: application/json\r\n" + f"Content-Length: {1024 * MIB}\r\n\r\n".encode()
        )
        # Connection: close: the service ends the connection after its answer.
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert b"request-too-large" in answer
