"""Redis stops while the service runs, then comes back: the cache steps aside and returns."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.cache import Cache
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.redis_client import create_redis

from .conftest import SettingsFactory
from .support import RedisServer, json_lines, running_client

# Only a guard against a hang: the subscription comes back long before this.
RECOVERY_GUARD_SECONDS = 30


async def resubscribed(cache: Cache, subscriptions: int) -> None:
    while cache.invalidations.subscriptions == subscriptions:  # noqa: ASYNC110  # a counter
        await asyncio.sleep(0.01)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_requests_keep_answering_without_redis_and_the_cache_recovers(
    make_settings: SettingsFactory,
    redis_server: RedisServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(redis_url=redis_server.url, cache_breaker_cooldown=0.2)
    app = create_app(settings)
    async with running_client(settings, app) as client:
        cache = app.state.cache
        await asyncio.wait_for(cache.invalidations.connected.wait(), RECOVERY_GUARD_SECONDS)
        created = await client.post("/api/v1/items", json={"name": "n", "price": "1.00"})
        item = f"/api/v1/items/{created.json()['id']}"
        await client.get(item)

        redis_server.stop()
        while_down = [await client.get(item) for _ in range(10)]
        update_while_down = await client.patch(item, json={"price": "2.00"})
        read_after_update = await client.get(item)
        listed_while_down = await client.get("/api/v1/items")

        redis_server.start()
        await asyncio.sleep(0.3)  # past the breaker's cooldown
        await client.get(item)  # the probe that closes the breaker
        await asyncio.wait_for(cache.invalidations.connected.wait(), RECOVERY_GUARD_SECONDS)
        loads_before = cache.metrics.loads._value.get()
        recovered = [await client.get(item) for _ in range(3)]
        loads_after = cache.metrics.loads._value.get()

    assert [response.status_code for response in while_down] == [200] * 10
    assert update_while_down.status_code == 200
    assert read_after_update.json()["price"] == "2.00"
    assert listed_while_down.status_code == 200
    assert [response.json()["price"] for response in recovered] == ["2.00"] * 3
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
        cache = app.state.cache
        await asyncio.wait_for(cache.invalidations.connected.wait(), RECOVERY_GUARD_SECONDS)
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
