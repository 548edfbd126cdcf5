from __future__ import annotations

from {{ cookiecutter.package_name }}.db import backend

from .conftest import SettingsFactory
from .support import running_client, unreachable_url


async def test_live_and_ready_when_database_answers(make_settings: SettingsFactory) -> None:
    async with running_client(make_settings()) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")

    assert live.status_code == 200
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {backend.NAME: "ok", "redis": "ok"}}


async def test_database_down_makes_ready_and_requests_503(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=unreachable_url(database_url), db_connect_timeout=1)

    async with running_client(settings) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
        request = await client.get("/api/v1/items")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["checks"] == {backend.NAME: "unavailable", "redis": "ok"}
    assert backend.NAME in ready.json()["detail"]
    assert request.status_code == 503
    assert request.headers["content-type"] == "application/problem+json"
    assert request.json()["type"] == "urn:problem-type:database-unavailable"
    assert "Retry-After" in request.headers
    assert "Traceback" not in request.text
