"""Item reads go through the cache; writes invalidate it before they return."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event

from {{ cookiecutter.package_name }}.main import create_app

from ..helpers.clients import running_client, signed_in
from ..helpers.queries import ItemQueryCounter
from ..helpers.settings import SettingsFactory


@contextmanager
def counting_queries(app: FastAPI) -> Iterator[ItemQueryCounter]:
    counter = ItemQueryCounter()
    engine = app.state.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
async def app_and_client(
    make_settings: SettingsFactory,
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    app = create_app(make_settings())
    async with running_client(make_settings(), app) as client:
        yield app, await signed_in(client)


async def create(client: AsyncClient, name: str = "lamp", price: str = "10.00") -> int:
    response = await client.post("/api/v1/items", json={"name": name, "price": price})
    assert response.status_code == 201
    item_id: int = response.json()["id"]
    return item_id


async def test_repeated_reads_query_the_database_once(
    app_and_client: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = app_and_client
    item_id = await create(client)

    with counting_queries(app) as queries:
        responses = [await client.get(f"/api/v1/items/{item_id}") for _ in range(5)]

    assert [response.status_code for response in responses] == [200] * 5
    assert {response.json()["name"] for response in responses} == {"lamp"}
    assert queries.count == 1


async def test_update_and_delete_are_seen_by_the_next_read(
    app_and_client: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = app_and_client
    item_id = await create(client)
    await client.get(f"/api/v1/items/{item_id}")

    await client.patch(f"/api/v1/items/{item_id}", json={"price": "12.50"})
    after_patch = await client.get(f"/api/v1/items/{item_id}")
    await client.put(f"/api/v1/items/{item_id}", json={"name": "desk", "price": "99.00"})
    after_put = await client.get(f"/api/v1/items/{item_id}")
    await client.delete(f"/api/v1/items/{item_id}")
    after_delete = await client.get(f"/api/v1/items/{item_id}")

    assert after_patch.json()["price"] == "12.50"
    assert after_put.json()["name"] == "desk"
    assert after_delete.status_code == 404


async def test_list_pages_are_cached_and_dropped_by_any_write(
    app_and_client: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = app_and_client
    first = await create(client, "one")

    with counting_queries(app) as queries:
        page = await client.get("/api/v1/items")
        again = await client.get("/api/v1/items")
    await create(client, "two")
    after_create = await client.get("/api/v1/items")
    await client.patch(f"/api/v1/items/{first}", json={"name": "uno"})
    after_update = await client.get("/api/v1/items")
    await client.delete(f"/api/v1/items/{first}")
    after_delete = await client.get("/api/v1/items")

    assert queries.count == 2  # count and rows, once
    assert page.json() == again.json()
    assert after_create.json()["total"] == 2
    assert [item["name"] for item in after_update.json()["items"]] == ["uno", "two"]
    assert [item["name"] for item in after_delete.json()["items"]] == ["two"]


async def test_etag_answers_if_none_match_with_304_until_the_item_changes(
    app_and_client: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = app_and_client
    item_id = await create(client)

    first = await client.get(f"/api/v1/items/{item_id}")
    etag = first.headers["ETag"]
    not_modified = await client.get(f"/api/v1/items/{item_id}", headers={"If-None-Match": etag})
    weak_and_listed = await client.get(
        f"/api/v1/items/{item_id}", headers={"If-None-Match": f'"other", W/{etag}'}
    )
    await client.patch(f"/api/v1/items/{item_id}", json={"price": "11.00"})
    changed = await client.get(f"/api/v1/items/{item_id}", headers={"If-None-Match": etag})

    assert etag.startswith('"')
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["ETag"] == etag
    assert weak_and_listed.status_code == 304
    assert changed.status_code == 200
    assert changed.json()["price"] == "11.00"
    assert changed.headers["ETag"] != etag


async def test_missing_item_is_404_and_not_cached(
    app_and_client: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = app_and_client

    with counting_queries(app) as queries:
        first = await client.get("/api/v1/items/4242")
        second = await client.get("/api/v1/items/4242")

    assert first.status_code == second.status_code == 404
    assert first.headers["content-type"] == "application/problem+json"
    assert queries.count == 2


async def test_cache_metrics_count_hits_and_misses(
    app_and_client: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = app_and_client
    item_id = await create(client)

    for _ in range(3):
        await client.get(f"/api/v1/items/{item_id}")
    metrics = (await client.get("/metrics")).text

    assert 'cache_lookups_total{level="l1",result="hit"} 2.0' in metrics
    assert 'cache_lookups_total{level="l2",result="miss"} 1.0' in metrics
    assert "cache_loads_total 1.0" in metrics
    assert "cache_breaker_open 0.0" in metrics
    assert "cache_invalidations_subscribed 1.0" in metrics


async def test_openapi_documents_the_cached_reads(
    app_and_client: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = app_and_client

    paths = (await client.get("/openapi.json")).json()["paths"]

    for path in ("/api/v1/items", "/api/v1/items/{item_id}"):
        operation = paths[path]["get"]
        assert "If-None-Match" in [parameter["name"] for parameter in operation["parameters"]]
        assert "304" in operation["responses"]
    item_schema = paths["/api/v1/items/{item_id}"]["get"]["responses"]["200"]["content"]
    assert item_schema["application/json"]["schema"] == {"$ref": "#/components/schemas/ItemRead"}
