"""The OpenAPI document tells the error contract: what each route answers, and as what."""

from __future__ import annotations

import re

import pytest
from httpx import AsyncClient

from ..helpers.clients import running_client
from ..helpers.openapi import ITEM, PROBLEM, assert_documented, openapi
from ..helpers.settings import SettingsFactory


async def test_patch_item_documents_that_name_and_price_cannot_be_null(
    client: AsyncClient, user_client: AsyncClient
) -> None:
    update = (await openapi(client))["components"]["schemas"]["ItemUpdate"]["properties"]
    created = (await user_client.post("/api/v1/items", json={"name": "Lamp", "price": "1"})).json()
    path = f"/api/v1/items/{created['id']}"

    assert "null" not in str(update["name"])
    assert "null" not in str(update["price"])
    assert {"type": "null"} in update["description"]["anyOf"]
    assert (await user_client.patch(path, json={"price": None})).status_code == 422
    assert (await user_client.patch(path, json={"name": None})).status_code == 422
    cleared = await user_client.patch(path, json={"description": None})
    assert cleared.status_code == 200
    assert cleared.json()["description"] is None


async def test_405_allows_every_method_of_the_path(
    client: AsyncClient, user_client: AsyncClient
) -> None:
    created = (await user_client.post("/api/v1/items", json={"name": "Lamp", "price": "1"})).json()

    on_item = await client.post(f"/api/v1/items/{created['id']}")
    on_items = await client.delete("/api/v1/items")

    assert on_item.status_code == 405
    assert on_item.headers["Allow"] == "GET, PUT, PATCH, DELETE"
    assert on_item.headers["content-type"] == PROBLEM
    assert on_items.status_code == 405
    assert on_items.headers["Allow"] == "GET, POST"
    assert on_items.headers["content-type"] == PROBLEM


async def test_a_route_beside_an_id_answers_405_to_a_method_it_lacks(
    user_client: AsyncClient,
) -> None:
    # GET /accounts/transfer is no account id: it is the transfer route, POST only.
    transfer = await user_client.get("/api/v1/accounts/transfer")

    assert transfer.status_code == 405
    assert transfer.headers["Allow"] == "POST"
    assert transfer.headers["content-type"] == PROBLEM


async def test_answers_are_documented_with_the_content_type_sent(
    client: AsyncClient, user_client: AsyncClient, make_settings: SettingsFactory
) -> None:
    document = await openapi(client)
    lamp = {"name": "Lamp", "price": "1"}
    created = (await user_client.post("/api/v1/items", json=lamp)).json()
    item = f"/api/v1/items/{created['id']}"

    answers = [
        ("GET", ITEM, await user_client.get(f"/api/v1/items/{created['id'] + 1}")),
        ("POST", "/api/v1/items", await user_client.post("/api/v1/items", json=lamp)),
        ("PATCH", ITEM, await user_client.patch(item, json={"price": "-1"})),
        ("GET", ITEM, await client.get(item)),
        ("GET", "/api/v1/users/me", await client.get("/api/v1/users/me")),
    ]
    async with running_client(make_settings(max_request_bytes=10)) as limited:
        answers.append(("POST", "/api/v1/items", await limited.post("/api/v1/items", json=lamp)))

    assert [response.status_code for _, _, response in answers] == [404, 409, 422, 401, 401, 413]
    for method, path, response in answers:
        assert_documented(document, method, path, response)


@pytest.mark.parametrize(
    ("schema", "field", "path", "largest"),
    [
        ("ItemCreate", "price", "/api/v1/items", "9" * 12 + ".99"),
        ("AccountCreate", "balance", "/api/v1/accounts", "9" * 14 + ".99"),
    ],
)
async def test_money_in_requests_is_a_decimal_string_of_the_documented_pattern(
    client: AsyncClient, user_client: AsyncClient, schema: str, field: str, path: str, largest: str
) -> None:
    documented = (await openapi(client))["components"]["schemas"][schema]["properties"][field]
    body = {"name": "Lamp"} if field == "price" else {}

    def sent(amount: object) -> dict[str, object]:
        return body | {field: amount}

    assert documented["type"] == "string"
    pattern = documented["pattern"]
    assert re.fullmatch(pattern, largest)
    out_of_pattern = ("9" + largest, "1.001", "-1", "1e3", " 1", "")
    assert not [text for text in out_of_pattern if re.fullmatch(pattern, text)]
    stored = await user_client.post(path, json=sent(largest))
    assert stored.status_code == 201, stored.text
    assert stored.json()[field] == largest
    for refused in (*out_of_pattern, 1.5, 2):
        assert (await user_client.post(path, json=sent(refused))).status_code == 422, refused
