from __future__ import annotations

from {{ cookiecutter.package_name }}.db import backend

from ..helpers.clients import running_client
from ..helpers.network import free_port, unreachable_url
from ..helpers.settings import SettingsFactory


async def test_live_and_ready_when_database_answers(make_settings: SettingsFactory) -> None:
    async with running_client(make_settings()) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")

    assert live.status_code == 200
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {backend.NAME: "ok", "redis": "ok", "storage": "ok"},
    }


async def test_database_down_makes_ready_and_requests_503(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=unreachable_url(database_url), db_connect_timeout=1)

    async with running_client(settings) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
        # Login reads the user: the database, behind no session.
        request = await client.post(
            "/api/v1/auth/login", json={"email": "ada@example.com", "password": "x" * 12}
        )

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["checks"] == {backend.NAME: "unavailable", "redis": "ok", "storage": "ok"}
    assert backend.NAME in ready.json()["detail"]
    assert request.status_code == 503
    assert request.headers["content-type"] == "application/problem+json"
    assert request.json()["type"] == "urn:problem-type:database-unavailable"
    assert "Retry-After" in request.headers
    assert "Traceback" not in request.text


async def test_storage_down_or_missing_bucket_makes_ready_503_and_its_gauge_0(
    make_settings: SettingsFactory,
) -> None:
    down = make_settings(s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
    missing = make_settings(s3_bucket="no-such-bucket-here")

    async with running_client(down) as client:
        ready_when_down = await client.get("/health/ready")
        live = await client.get("/health/live")
        metrics = (await client.get("/metrics")).text
    async with running_client(missing) as client:
        ready_when_missing = await client.get("/health/ready")

    assert live.status_code == 200
    for ready in (ready_when_down, ready_when_missing):
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        checks = ready.json()["checks"]
        assert checks == {backend.NAME: "ok", "redis": "ok", "storage": "unavailable"}
        assert "storage" in ready.json()["detail"]
    # The readiness gauges follow the last check.
    for dependency, value in {backend.NAME: "1.0", "redis": "1.0", "storage": "0.0"}.items():
        assert 'dependency_ready{dependency="' + dependency + '"} ' + value in metrics
