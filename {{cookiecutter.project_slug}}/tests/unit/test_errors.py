from __future__ import annotations

import socket

import pytest
from fastapi import HTTPException

from {{ cookiecutter.package_name }}.errors import ConflictError, ProgrammingError
from {{ cookiecutter.package_name }}.main import create_app

from ..helpers.clients import running_client
from ..helpers.logs import json_lines
from ..helpers.settings import SettingsFactory

PROBLEM = "application/problem+json"


async def test_unhandled_exception_is_generic_500_logged_and_service_goes_on(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings())

    @app.get("/explode")
    async def explode() -> None:
        raise RuntimeError("secret internal state 42")

    async with running_client(make_settings(), app) as client:
        response = await client.get("/explode")
        after = await client.get("/health/live")

    problem = response.json()
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert problem["title"] == "Internal Server Error"
    assert "secret internal state" not in response.text
    assert "Traceback" not in response.text
    assert problem["request_id"] == response.headers["X-Request-ID"]
    assert after.status_code == 200
    logged = [
        line
        for line in json_lines(capsys.readouterr().out)
        if line["event"] == "unhandled_exception"
    ]
    assert len(logged) == 1
    assert "RuntimeError: secret internal state 42" in logged[0]["exception"]
    assert logged[0]["request_id"] == response.headers["X-Request-ID"]


async def test_http_exception_becomes_problem(make_settings: SettingsFactory) -> None:
    app = create_app(make_settings())

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(status_code=418, detail="short and stout")

    async with running_client(make_settings(), app) as client:
        response = await client.get("/teapot")

    assert response.status_code == 418
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "short and stout"
    assert response.json()["title"] == "I'm a Teapot"


async def test_unnamed_status_code_still_becomes_problem(make_settings: SettingsFactory) -> None:
    app = create_app(make_settings())

    @app.get("/closed")
    async def closed() -> None:
        raise HTTPException(status_code=499, detail="client closed request")

    async with running_client(make_settings(), app) as client:
        response = await client.get("/closed")

    assert response.status_code == 499
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Error"


async def test_unknown_route_and_method_are_problems(make_settings: SettingsFactory) -> None:
    async with running_client(make_settings()) as client:
        missing = await client.get("/no/such/route")
        wrong_method = await client.delete("/api/v1/items")

    for response, status in ((missing, 404), (wrong_method, 405)):
        problem = response.json()
        assert response.status_code == status
        assert response.headers["content-type"] == PROBLEM
        assert set(problem) >= {"type", "title", "status", "detail", "instance", "request_id"}
        assert problem["status"] == status


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"email": "\xff@example.com"}', b"\x06\xe9{"],
    ids=["syntax", "latin-1", "binary"],
)
async def test_malformed_json_is_422_problem(make_settings: SettingsFactory, body: bytes) -> None:
    # Bytes that are not UTF-8 are no JSON either (FastAPI alone answers them 400).
    async with running_client(make_settings()) as client:
        response = await client.post(
            "/api/v1/auth/register", content=body, headers={"content-type": "application/json"}
        )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [error["type"] for error in response.json()["errors"]] == ["json_invalid"]


async def test_programming_error_is_answered_as_generic_500_and_logged(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings())

    @app.get("/broken-invariant")
    async def broken_invariant() -> None:
        raise ProgrammingError("ledger totals differ by 0.01")

    async with running_client(make_settings(), app) as client:
        response = await client.get("/broken-invariant")

    assert response.status_code == 500
    assert "ledger" not in response.text
    logged = [
        line
        for line in json_lines(capsys.readouterr().out)
        if line["event"] == "unhandled_exception"
    ]
    assert "ProgrammingError: ledger totals differ by 0.01" in logged[0]["exception"]


async def test_operational_error_keeps_its_status_detail_and_extensions(
    make_settings: SettingsFactory,
) -> None:
    app = create_app(make_settings())

    @app.get("/taken")
    async def taken() -> None:
        raise ConflictError("Seat 12A is taken.", seat="12A", status=200)

    async with running_client(make_settings(), app) as client:
        response = await client.get("/taken", headers={"X-Request-ID": "conflict-1"})

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "urn:problem-type:conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Seat 12A is taken.",
        "instance": "/taken",
        "request_id": "conflict-1",
        "seat": "12A",
    }


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError("upstream took too long"),
        ConnectionResetError("peer reset"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
    ],
    ids=["timeout", "connection-reset", "name-lookup"],
)
async def test_a_failure_that_is_not_the_database_s_is_not_a_database_outage(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str], error: OSError
) -> None:
    # The database, Redis and storage adapters each raise their own outage error; a
    # bare timeout or socket error from anywhere else is a bug, not a database outage.
    app = create_app(make_settings())

    @app.get("/elsewhere")
    async def elsewhere() -> None:
        raise error

    async with running_client(make_settings(), app) as client:
        response = await client.get("/elsewhere")

    assert response.status_code == 500
    assert response.json()["type"] == "urn:problem-type:internal-error"
    events = [line["event"] for line in json_lines(capsys.readouterr().out)]
    assert "unhandled_exception" in events
    assert "database_unavailable" not in events
