"""CORS: pages on CORS_ORIGINS may call the API from a browser; other origins may not."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.main import create_app

from ..helpers.clients import running_client
from ..helpers.cors import ADMIN, APP, ELSEWHERE, ITEMS, preflight_headers
from ..helpers.openapi import openapi
from ..helpers.settings import SettingsFactory


def cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("access-control-")}


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


# The headers of the one upload protocol with headers of its own (tus).
PROTOCOL_HEADERS = ["Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata"]


@pytest.mark.parametrize("header", PROTOCOL_HEADERS)
async def test_pages_may_send_a_protocol_header_exactly_where_a_route_reads_it(
    make_settings: SettingsFactory, header: str
) -> None:
    async with running_client(make_settings(cors_origins=APP)) as client:
        document = await openapi(client)
        preflight = await client.options(
            ITEMS, headers=preflight_headers(APP, headers=header.lower())
        )
    read_by_a_route = any(
        parameter["in"] == "header" and parameter["name"] == header
        for path_item in document["paths"].values()
        for operation in path_item.values()
        for parameter in operation.get("parameters", [])
    )

    assert (preflight.status_code == 200) == read_by_a_route, preflight.text
