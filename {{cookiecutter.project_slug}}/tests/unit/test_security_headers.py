"""Deployment defaults: security headers, no server banner, /metrics behind a token in prod."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from ..helpers.clients import running_client
from ..helpers.processes import ServiceProcess
from ..helpers.settings import SettingsFactory, production_settings

METRICS_TOKEN = "t" * 48


async def test_api_responses_forbid_sniffing_framing_and_referrers(
    make_settings: SettingsFactory,
) -> None:
    async with running_client(make_settings()) as client:
        found = await client.get("/health/live")
        missing = await client.get("/api/v1/items/1")

    for response in (found, missing):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert "strict-transport-security" not in response.headers  # not prod


async def test_production_sends_hsts_over_https_only(make_settings: SettingsFactory) -> None:
    settings = production_settings(make_settings, metrics_token=METRICS_TOKEN)
    async with running_client(settings) as client:
        https = await client.get("/health/live")
        plain = await client.get("http://testserver/health/live")

    assert https.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in plain.headers


@pytest.mark.parametrize("token", [None, "", "short"])
def test_production_refuses_to_start_without_a_metrics_token(
    make_settings: SettingsFactory, token: str | None
) -> None:
    with pytest.raises(ValidationError, match="METRICS_TOKEN"):
        production_settings(make_settings, metrics_token=token)


async def test_production_metrics_answer_the_token_bearer_only(
    make_settings: SettingsFactory,
) -> None:
    settings = production_settings(make_settings, metrics_token=METRICS_TOKEN)
    async with running_client(settings) as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer wrong"})
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"})
        bearer = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    for refused in (anonymous, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "http_requests_total" not in refused.text
    assert bearer.status_code == 200
    assert "http_requests_total" in bearer.text


async def test_development_metrics_stay_open(make_settings: SettingsFactory) -> None:
    async with running_client(make_settings(app_env="dev")) as client:
        response = await client.get("/metrics")

    assert response.status_code == 200


@pytest.mark.processes
def test_the_server_sends_no_banner_but_a_date(serving: ServiceProcess) -> None:
    response = httpx.get(f"{serving.url}/health/live")

    assert response.status_code == 200
    assert "server" not in response.headers
    assert response.headers["date"]
