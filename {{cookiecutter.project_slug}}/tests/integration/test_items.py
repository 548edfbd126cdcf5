from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import AsyncClient

from ..helpers.clients import running_client, running_user_client, signed_in
from ..helpers.settings import SettingsFactory

PROBLEM = "application/problem+json"


async def create_item(client: AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Lamp", "price": "19.99"} | fields
    response = await client.post("/api/v1/items", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_then_read(user_client: AsyncClient) -> None:
    created = await create_item(user_client, name="Desk", description="Oak", price="250.50")

    response = await user_client.get(f"/api/v1/items/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert created["price"] == "250.50"
    assert created["description"] == "Oak"


async def test_create_answers_location_of_new_item(user_client: AsyncClient) -> None:
    response = await user_client.post("/api/v1/items", json={"name": "Chair", "price": "5"})

    assert response.headers["Location"].endswith(f"/api/v1/items/{response.json()['id']}")


async def test_list_is_paginated_oldest_first(user_client: AsyncClient) -> None:
    names = [f"item-{number}" for number in range(5)]
    for name in names:
        await create_item(user_client, name=name)

    first = (await user_client.get("/api/v1/items", params={"limit": 2})).json()
    last = (await user_client.get("/api/v1/items", params={"limit": 2, "offset": 4})).json()

    assert [item["name"] for item in first["items"]] == names[:2]
    assert [item["name"] for item in last["items"]] == names[4:]
    assert first["total"] == last["total"] == 5
    assert (first["limit"], first["offset"]) == (2, 0)


async def test_patch_changes_only_sent_fields(user_client: AsyncClient) -> None:
    created = await create_item(user_client, name="Pen", description="Blue", price="1.50")

    response = await user_client.patch(f"/api/v1/items/{created['id']}", json={"price": "2.00"})

    assert response.status_code == 200
    assert response.json()["price"] == "2.00"
    assert response.json()["description"] == "Blue"
    assert response.json()["name"] == "Pen"


async def test_put_replaces_every_field(user_client: AsyncClient) -> None:
    created = await create_item(user_client, name="Cup", description="Tall", price="3.00")

    response = await user_client.put(
        f"/api/v1/items/{created['id']}", json={"name": "Mug", "price": "4.00"}
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Mug"
    assert response.json()["description"] is None


async def test_delete_then_read_is_404(user_client: AsyncClient) -> None:
    created = await create_item(user_client)

    deleted = await user_client.delete(f"/api/v1/items/{created['id']}")
    missing = await user_client.get(f"/api/v1/items/{created['id']}")

    assert deleted.status_code == 204
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.json()["type"] == "urn:problem-type:not-found"
    assert str(created["id"]) in missing.json()["detail"]


async def test_duplicate_name_is_409(user_client: AsyncClient) -> None:
    await create_item(user_client, name="Unique")

    response = await user_client.post("/api/v1/items", json={"name": "Unique", "price": "1"})

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert "Unique" in response.json()["detail"]


async def test_renaming_onto_a_taken_name_is_409_and_changes_nothing(
    user_client: AsyncClient,
) -> None:
    await create_item(user_client, name="First")
    second = await create_item(user_client, name="Second")

    response = await user_client.patch(f"/api/v1/items/{second['id']}", json={"name": "First"})
    after = await user_client.get(f"/api/v1/items/{second['id']}")

    assert response.status_code == 409
    assert after.json()["name"] == "Second"


async def test_invalid_bodies_are_422_problems_without_echoing_input(
    user_client: AsyncClient,
) -> None:
    bad_bodies = [
        {"name": "", "price": "1"},
        {"name": "x" * 201, "price": "1"},
        {"name": "Negative", "price": "-1"},
        {"name": "Fraction", "price": "1.001"},
        {"name": "Extra", "price": "1", "owner_id": 1},
        {"price": "1"},
    ]
    for body in bad_bodies:
        response = await user_client.post("/api/v1/items", json=body)

        assert response.status_code == 422, body
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["errors"], body
        assert all("input" not in error for error in problem["errors"])


async def test_patch_refuses_null_for_required_fields(user_client: AsyncClient) -> None:
    created = await create_item(user_client)

    response = await user_client.patch(f"/api/v1/items/{created['id']}", json={"name": None})

    assert response.status_code == 422


async def test_out_of_range_ids_and_pages_are_422(user_client: AsyncClient) -> None:
    for path in ("/api/v1/items/0", "/api/v1/items/99999999999"):
        assert (await user_client.get(path)).status_code == 422, path
    for path in ("/api/v1/items/abc", "/api/v1/items/-1", "/api/v1/items/1.0"):
        assert (await user_client.get(path)).status_code == 404, path
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 2**31},
        {"offset": 2**63},  # past PostgreSQL's bigint
        {"offset": 10**30},  # past MySQL's and SQLite's
    ):
        response = await user_client.get("/api/v1/items", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == PROBLEM


async def test_every_item_route_needs_a_signed_in_user(make_settings: SettingsFactory) -> None:
    async with running_user_client(make_settings()) as owner:
        item = await create_item(owner)
    path = f"/api/v1/items/{item['id']}"
    async with running_client(make_settings()) as anonymous:
        answers = [
            await anonymous.get("/api/v1/items"),
            await anonymous.post("/api/v1/items", json={"name": "Free", "price": "1"}),
            await anonymous.get(path),
            await anonymous.put(path, json={"name": "Mine now", "price": "0"}),
            await anonymous.patch(path, json={"price": "0"}),
            await anonymous.delete(path),
        ]
    async with running_user_client(make_settings()) as owner:
        after = await owner.get(path)

    assert [answer.status_code for answer in answers] == [401] * 6
    assert all(answer.headers["content-type"] == PROBLEM for answer in answers)
    assert after.json() == item


async def test_users_see_and_change_only_their_own_items(make_settings: SettingsFactory) -> None:
    async with running_user_client(make_settings()) as ada:
        adas = await create_item(ada, name="Lamp")
        path = f"/api/v1/items/{adas['id']}"
        await ada.get(path)  # cached for Ada
        await ada.get("/api/v1/items")
        async with running_client(make_settings()) as grace:
            await signed_in(grace, email="grace@example.com")
            answers = [
                await grace.get(path),
                await grace.put(path, json={"name": "Taken", "price": "0"}),
                await grace.patch(path, json={"price": "0"}),
                await grace.delete(path),
            ]
            same_name = await grace.post("/api/v1/items", json={"name": "Lamp", "price": "2"})
            graces_list = (await grace.get("/api/v1/items")).json()
        adas_list = (await ada.get("/api/v1/items")).json()
        adas_item = await ada.get(path)

    assert [answer.status_code for answer in answers] == [404] * 4
    assert answers[0].json()["detail"] == f"Item {adas['id']} does not exist."
    assert same_name.status_code == 201  # names are unique per user
    assert [item["name"] for item in graces_list["items"]] == ["Lamp"]
    assert graces_list["items"][0]["id"] == same_name.json()["id"]
    assert graces_list["total"] == 1
    assert [item["id"] for item in adas_list["items"]] == [adas["id"]]
    assert adas_item.json() == adas


@pytest.mark.parametrize("field", ["name", "description"])
@pytest.mark.parametrize("text", ["nul\u0000inside", "lone \ud800 surrogate", "\udfff"])
async def test_unstorable_text_is_422(user_client: AsyncClient, field: str, text: str) -> None:
    body = {"name": "Lamp", "price": "1.00"} | {field: text}
    # As a client sends it: JSON escapes (\u0000, \ud800), never raw bytes.
    response = await user_client.post(
        "/api/v1/items", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    listed = (await user_client.get("/api/v1/items")).json()

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["body", field]
    assert listed["total"] == 0


async def test_unstorable_text_in_a_json_key_is_422(user_client: AsyncClient) -> None:
    response = await user_client.post(
        "/api/v1/items",
        content=b'{"name": "Lamp", "price": "1", "\\ud800": 1}',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
