"""CORS: pages on CORS_ORIGINS may call the API from a browser; other origins may not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.uploads.strategy import CORS_EXPOSED_HEADERS

from ..helpers.clients import running_client, signed_in
from ..helpers.cors import ADMIN, APP, ELSEWHERE, ITEMS, preflight_headers
from ..helpers.settings import SettingsFactory


def listed(header: str | None) -> set[str]:
    return {name.strip().lower() for name in (header or "").split(",") if name.strip()}


@pytest.fixture
async def cors_client(make_settings: SettingsFactory) -> AsyncIterator[AsyncClient]:
    async with running_client(make_settings(cors_origins=f"{APP}, {ADMIN}/")) as client:
        yield await signed_in(client)


async def test_a_listed_origins_preflight_is_allowed(cors_client: AsyncClient) -> None:
    response = await cors_client.options(
        ITEMS, headers=preflight_headers(ADMIN, "POST", "content-type, authorization, x-csrf-token")
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ADMIN
    assert {"post", "patch", "delete"} <= listed(response.headers["access-control-allow-methods"])
    assert {"content-type", "authorization", "x-csrf-token"} <= listed(
        response.headers["access-control-allow-headers"]
    )
    assert "origin" in listed(response.headers["vary"])


async def test_another_origins_preflight_is_refused(cors_client: AsyncClient) -> None:
    response = await cors_client.options(ITEMS, headers=preflight_headers(ELSEWHERE))

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_a_header_not_allowed_fails_the_preflight(cors_client: AsyncClient) -> None:
    response = await cors_client.options(ITEMS, headers=preflight_headers(APP, "GET", "x-secret"))

    assert response.status_code == 400


async def test_answers_to_a_listed_origin_expose_the_apis_headers(
    cors_client: AsyncClient,
) -> None:
    response = await cors_client.get(ITEMS, headers={"Origin": APP, "X-Request-ID": "cors-1"})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    exposed = listed(response.headers["access-control-expose-headers"])
    # And those the upload strategy's routes send (the tus headers, for tus clients).
    strategy_headers = {header.lower() for header in CORS_EXPOSED_HEADERS}
    assert {"location", "x-request-id", "etag", "retry-after", *strategy_headers} <= exposed
    assert response.headers["x-request-id"] == "cors-1"


async def test_errors_carry_cors_headers_too(cors_client: AsyncClient) -> None:
    """A page must be able to read a problem+json answer, not only successes."""
    response = await cors_client.get(f"{ITEMS}/999999", headers={"Origin": APP})

    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == APP


async def test_answers_to_another_origin_allow_it_nothing(cors_client: AsyncClient) -> None:
    response = await cors_client.get(ITEMS, headers={"Origin": ELSEWHERE})

    assert response.status_code == 200  # served, but the browser hides it from the page
    assert "access-control-allow-origin" not in response.headers
