"""Error tracking: a programming error reaches Sentry's ingest with its request id, and
nothing else does, secrets least of all."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from {{ cookiecutter.package_name }} import DISTRIBUTION
from {{ cookiecutter.package_name }}.main import installed_version_and_summary

from ..helpers.crashing_service import CRASH_MESSAGE, CRASH_PATH
from ..helpers.network import unreachable_redis_url
from ..helpers.processes import service_main
from ..helpers.sentry_ingest import sentry_ingest
from ..helpers.settings import SettingsFactory

pytestmark = pytest.mark.processes

BEARER = "bearer-value-never-reported"
COOKIE = "cookie-value-never-reported"
PASSWORD = "password-never-reported"
QUERY_TOKEN = "query-token-never-reported"
SECRETS = (BEARER, COOKIE, PASSWORD, QUERY_TOKEN)


def test_only_programming_errors_are_reported_with_request_id_and_without_secrets(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    with sentry_ingest() as ingest:
        # Redis stopped: registration, which counts attempts there, answers 503.
        settings = make_settings(sentry_dsn=ingest.dsn, redis_url=unreachable_redis_url())
        with (
            service_main(
                settings, tmp_path / "service.log", module="tests.helpers.crashing_service"
            ) as service,
            httpx.Client(base_url=service.url, timeout=30) as client,
        ):
            not_found = client.get("/no/such/route")
            invalid = client.post(
                "/api/v1/auth/register", json={"email": "not-an-address", "password": PASSWORD}
            )
            outage = client.post(
                "/api/v1/auth/register",
                json={"email": "ada@example.com", "password": f"{PASSWORD} (a long one)"},
            )
            crash = client.post(
                f"{CRASH_PATH}?token={QUERY_TOKEN}&page=2",
                json={"password": PASSWORD},
                headers={
                    "Authorization": f"Bearer {BEARER}",
                    "Cookie": f"session={COOKIE}",
                    "X-Request-ID": "crash-1",
                },
            )
            assert crash.status_code == 500, crash.text
            ingest.wait_for_event()
        # The service has stopped, and sent what it still held on its way out.

    assert [not_found.status_code, invalid.status_code, outage.status_code] == [404, 422, 503]
    [event] = ingest.events()
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"].startswith(CRASH_MESSAGE)
    assert event["tags"]["request_id"] == "crash-1"
    assert event["environment"] == "test"
    assert event["release"] == f"{DISTRIBUTION}@{installed_version_and_summary()[0]}"
    assert {"fastapi", "starlette", "sqlalchemy", "redis"} <= set(event["sdk"]["integrations"])
    assert "logging" not in event["sdk"]["integrations"]
    # The request is described, its credentials are not: neither redacted fields nor
    # local variables (the parsed body) nor anything else of the envelopes holds them.
    assert event["request"]["method"] == "POST"
    assert "page=2" in event["request"]["query_string"]
    frames = exception["stacktrace"]["frames"]
    assert frames
    assert not [frame for frame in frames if "vars" in frame]
    sent = b"".join(ingest.bodies)
    for secret in SECRETS:
        assert secret.encode() not in sent, secret
