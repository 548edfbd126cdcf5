"""CORS: pages on CORS_ORIGINS may call the API from a browser; other origins may not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.main import create_app

from .conftest import SettingsFactory
from .support import running_client, signed_in

APP = "https://app.example.com"
ADMIN = "http://localhost:5173"
ELSEWHERE = "https://elsewhere.example.net"
ITEMS = "/api/v1/items"


def preflight_headers(
    origin: str, method: str = "POST", headers: str = "content-type"
) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def listed(header: str | None) -> set[str]:
    return {name.strip().lower() for name in (header or "").split(",") if name.strip()}


def cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("access-control-")}


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
    assert {
        "location",
        "upload-offset",
        "upload-length",
        "tus-resumable",
        "tus-version",
        "tus-extension",
        "tus-max-size",
        "upload-expires",
        "upload-metadata",
        "x-request-id",
        "etag",
        "retry-after",
    } <= exposed
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


async def test_without_cors_origins_there_are_no_cors_headers(client: AsyncClient) -> None:
    preflight = await client.options(ITEMS, headers=preflight_headers(APP))
    simple = await client.get(ITEMS, headers={"Origin": APP})

    assert cors_headers(dict(preflight.headers)) == {}
    assert cors_headers(dict(simple.headers)) == {}


@pytest.mark.parametrize("allow_credentials", [True, False])
async def test_credentials_are_allowed_as_configured(
    make_settings: SettingsFactory, allow_credentials: bool
) -> None:
    settings = make_settings(cors_origins=APP, cors_allow_credentials=allow_credentials)
    async with running_client(settings) as client:
        preflight = await client.options(ITEMS, headers=preflight_headers(APP))
        simple = await client.get(ITEMS, headers={"Origin": APP})

    for response in (preflight, simple):
        assert response.headers["access-control-allow-origin"] == APP
        allowed = response.headers.get("access-control-allow-credentials")
        assert allowed == ("true" if allow_credentials else None)


def test_any_origin_with_credentials_is_refused_at_start_up(
    make_settings: SettingsFactory,
) -> None:
    with pytest.raises(ValidationError, match=r"CORS_ORIGINS=\*"):
        create_app(make_settings(cors_origins="*", cors_allow_credentials=True))


async def test_any_origin_without_credentials_is_answered_with_a_star(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(cors_origins="*", cors_allow_credentials=False)
    async with running_client(settings) as client:
        response = await client.get(ITEMS, headers={"Origin": ELSEWHERE})

    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "origin", ["https://app.example.com/app", "app.example.com", "https://app.example.com?x"]
)
def test_an_origin_that_is_not_one_is_refused(make_settings: SettingsFactory, origin: str) -> None:
    with pytest.raises(ValidationError, match="scheme://host"):
        make_settings(cors_origins=origin)


def test_bucket_origins_default_to_the_apis(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", f"{APP},{ADMIN}")
    from_environment = make_settings()
    monkeypatch.setenv("S3_CORS_ORIGINS", "")
    bucket_without_cors = make_settings()

    assert from_environment.cors_origins == (APP, ADMIN)
    assert from_environment.s3_cors_origins == (APP, ADMIN)
    assert bucket_without_cors.cors_origins == (APP, ADMIN)
    assert bucket_without_cors.s3_cors_origins == ()
    assert make_settings(cors_origins=APP, s3_cors_origins=ADMIN).s3_cors_origins == (ADMIN,)
