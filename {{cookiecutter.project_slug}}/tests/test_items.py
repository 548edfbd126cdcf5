from __future__ import annotations

from typing import Any

from httpx import AsyncClient

PROBLEM = "application/problem+json"


async def create_item(client: AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Lamp", "price": "19.99"} | fields
    response = await client.post("/api/v1/items", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_then_read(client: AsyncClient) -> None:
    created = await create_item(client, name="Desk", description="Oak", price="250.50")

    response = await client.get(f"/api/v1/items/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created
    assert created["price"] == "250.50"
    assert created["description"] == "Oak"


async def test_create_answers_location_of_new_item(client: AsyncClient) -> None:
    response = await client.post("/api/v1/items", json={"name": "Chair", "price": "5"})

    assert response.headers["Location"].endswith(f"/api/v1/items/{response.json()['id']}")


async def test_list_is_paginated_oldest_first(client: AsyncClient) -> None:
    names = [f"item-{number}" for number in range(5)]
    for name in names:
        await create_item(client, name=name)

    first = (await client.get("/api/v1/items", params={"limit": 2})).json()
    last = (await client.get("/api/v1/items", params={"limit": 2, "offset": 4})).json()

    assert [item["name"] for item in first["items"]] == names[:2]
    assert [item["name"] for item in last["items"]] == names[4:]
    assert first["total"] == last["total"] == 5
    assert (first["limit"], first["offset"]) == (2, 0)


async def test_patch_changes_only_sent_fields(client: AsyncClient) -> None:
    created = await create_item(client, name="Pen", description="Blue", price="1.50")

    response = await client.patch(f"/api/v1/items/{created['id']}", json={"price": "2.00"})

    assert response.status_code == 200
    assert response.json()["price"] == "2.00"
    assert response.json()["description"] == "Blue"
    assert response.json()["name"] == "Pen"


async def test_put_replaces_every_field(client: AsyncClient) -> None:
    created = await create_item(client, name="Cup", description="Tall", price="3.00")

    response = await client.put(
        f"/api/v1/items/{created['id']}", json={"name": "Mug", "price": "4.00"}
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Mug"
    assert response.json()["description"] is None


async def test_delete_then_read_is_404(client: AsyncClient) -> None:
    created = await create_item(client)

    deleted = await client.delete(f"/api/v1/items/{created['id']}")
    missing = await client.get(f"/api/v1/items/{created['id']}")

    assert deleted.status_code == 204
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.json()["type"] == "urn:problem-type:not-found"
    assert str(created["id"]) in missing.json()["detail"]


async def test_duplicate_name_is_409(client: AsyncClient) -> None:
    await create_item(client, name="Unique")

    response = await client.post("/api/v1/items", json={"name": "Unique", "price": "1"})

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert "Unique" in response.json()["detail"]


async def test_renaming_onto_a_taken_name_is_409_and_changes_nothing(
    client: AsyncClient,
) -> None:
    await create_item(client, name="First")
    second = await create_item(client, name="Second")

    response = await client.patch(f"/api/v1/items/{second['id']}", json={"name": "First"})
    after = await client.get(f"/api/v1/items/{second['id']}")

    assert response.status_code == 409
    assert after.json()["name"] == "Second"


async def test_invalid_bodies_are_422_problems_without_echoing_input(
    client: AsyncClient,
) -> None:
    bad_bodies = [
        {"name": "", "price": "1"},
        {"name": "x" * 201, "price": "1"},
        {"name": "Negative", "price": "-1"},
        {"name": "Fraction", "price": "1.001"},
        {"name": "Extra", "price": "1", "owner": "someone"},
        {"price": "1"},
    ]
    for body in bad_bodies:
        response = await client.post("/api/v1/items", json=body)

        assert response.status_code == 422, body
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["errors"], body
        assert all("input" not in error for error in problem["errors"])


async def test_patch_refuses_null_for_required_fields(client: AsyncClient) -> None:
    created = await create_item(client)

    response = await client.patch(f"/api/v1/items/{created['id']}", json={"name": None})

    assert response.status_code == 422


async def test_out_of_range_ids_and_pages_are_422(client: AsyncClient) -> None:
    for path in ("/api/v1/items/0", "/api/v1/items/99999999999", "/api/v1/items/abc"):
        assert (await client.get(path)).status_code == 422, path
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert (await client.get("/api/v1/items", params=params)).status_code == 422, params
