"""Redis stops while the service runs, then comes back: the cache steps aside and returns."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.cache import Cache
from {{ cookiecutter.package_name }}.items import service as items
from {{ cookiecutter.package_name }}.items.schemas import ItemRead, ItemUpdate
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.redis_client import create_redis

from ..helpers.clients import running_client, signed_in
from ..helpers.logs import json_lines
from ..helpers.processes import RedisServer
from ..helpers.settings import SettingsFactory

# Only a guard against a hang: the subscription comes back long before this.
RECOVERY_GUARD_SECONDS = 30


async def resubscribed(cache: Cache, subscriptions: int) -> None:
    while cache.invalidations.subscriptions == subscriptions:  # noqa: ASYNC110  # a counter
        await asyncio.sleep(0.01)


class ItemReader:
    """Reads and changes an item through the items service, as the routes do.

    Not over HTTP: while Redis is down, only the jwt strategy can authenticate a
    request at all, and this is about the cache, whatever the strategy.
    """

    def __init__(self, app: FastAPI, item: dict[str, Any]) -> None:
        self.cache: Cache = app.state.services.cache
        self.read_engine = app.state.services.read_engine
        self.sessions = app.state.services.sessionmaker
        self.owner_id, self.item_id = item["owner_id"], item["id"]

    async def read(self) -> ItemRead:
        cached = await items.read(
            self.cache, self.read_engine, owner_id=self.owner_id, item_id=self.item_id
        )
        return cached.value

    async def list_names(self) -> list[str]:
        page = await items.read_page(
            self.cache, self.read_engine, owner_id=self.owner_id, limit=20, offset=0
        )
        return [item.name for item in page.value.items]

    async def change_price(self, price: Decimal) -> None:
        async with self.sessions() as session:
            item = await items.get_or_raise(session, item_id=self.item_id, owner_id=self.owner_id)
            await items.update(session, self.cache, item=item, data=ItemUpdate(price=price))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_reads_keep_answering_without_redis_and_the_cache_recovers(
    make_settings: SettingsFactory,
    redis_server: RedisServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(redis_url=redis_server.url, cache_breaker_cooldown=0.2)
    app = create_app(settings)
    async with running_client(settings, app) as client:
        cache = app.state.services.cache
        await asyncio.wait_for(cache.invalidations.connected.wait(), RECOVERY_GUARD_SECONDS)
        await signed_in(client)
        created = await client.post("/api/v1/items", json={"name": "n", "price": "1.00"})
        item = ItemReader(app, created.json())
        await item.read()

        redis_server.stop()
        while_down = [await item.read() for _ in range(10)]
        await item.change_price(Decimal("2.00"))
        read_after_update = await item.read()
        listed_while_down = await item.list_names()

        redis_server.start()
        await asyncio.sleep(0.3)  # past the breaker's cooldown
        await item.read()  # the probe that closes the breaker
        await asyncio.wait_for(cache.invalidations.connected.wait(), RECOVERY_GUARD_SECONDS)
        loads_before = cache.metrics.loads._value.get()
        recovered = [await item.read() for _ in range(3)]
        loads_after = cache.metrics.loads._value.get()

    assert [read.price for read in while_down] == [Decimal("1.00")] * 10
    assert read_after_update.price == Decimal("2.00")
    assert listed_while_down == ["n"]
    assert [read.price for read in recovered] == [Decimal("2.00")] * 3
    assert loads_after - loads_before <= 1  # cached again once Redis is back
    assert cache.breaker.is_open is False
    warnings = [
        line
        for line in json_lines(capsys.readouterr().out)
        if line["event"] == "cache_redis_unavailable"
    ]
    assert len(warnings) == 1  # one warning for the outage, not one per request


async def test_instance_empties_its_l1_when_its_subscription_comes_back(
    make_settings: SettingsFactory, redis_server: RedisServer
) -> None:
    settings = make_settings(redis_url=redis_server.url)
    app = create_app(settings)
    async with running_client(settings, app) as client:
        cache = app.state.services.cache
        await asyncio.wait_for(cache.invalidations.connected.wait(), RECOVERY_GUARD_SECONDS)
        await signed_in(client)
        created = await client.post("/api/v1/items", json={"name": "n", "price": "1.00"})
        await client.get(f"/api/v1/items/{created.json()['id']}")
        cached_before = len(cache.local)
        subscriptions = cache.invalidations.subscriptions

        # Invalidations published while the subscription is down are lost for good.
        killer = create_redis(settings)
        try:
            await killer.client_kill_filter(_type="pubsub")
        finally:
            await killer.aclose()
        await asyncio.wait_for(resubscribed(cache, subscriptions), RECOVERY_GUARD_SECONDS)

    assert cached_before == 1
    assert len(cache.local) == 0
