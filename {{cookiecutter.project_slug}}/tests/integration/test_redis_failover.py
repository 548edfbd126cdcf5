"""A Redis master dies under a running service (REDIS_MODE=cluster or sentinel): its
replica takes over, and sessions and the cache recover without a restart; meanwhile
requests are answered 503, never 500.

Run with REDIS_MODE=cluster or REDIS_MODE=sentinel; with one node it is not collected.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from http import HTTPStatus

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.cache import Cache
from {{ cookiecutter.package_name }}.cache.remote import CACHE_HASH_TAG
from {{ cookiecutter.package_name }}.main import create_app

from ..helpers.clients import log_in, running_client, signed_in
from ..helpers.redis_servers import (
    RedisDeployment,
    RedisNode,
    cluster_master_of,
    sentinel_master,
    wait_for_cluster,
    wait_for_new_master,
)
from ..helpers.settings import SettingsFactory

# Only a guard against a hang: a replica takes over within seconds.
RECOVERY_GUARD_SECONDS = 60
# What a request may be answered while no master serves its keys.
DURING_FAILOVER = {200, 503}
BREAKER_COOLDOWN = 0.5


@pytest.fixture
def deployment(redis_deployment: RedisDeployment | None) -> RedisDeployment:
    if redis_deployment is None:
        pytest.skip("needs a deployment with replicas: REDIS_MODE=cluster or sentinel")
    return redis_deployment


async def keep_asking(
    client: AsyncClient, path: str, statuses: list[int], failed_over: asyncio.Event
) -> None:
    """GET path until the failover is over and it is answered 200 again, noting
    every status on the way."""
    while True:
        status = (await client.get(path)).status_code
        statuses.append(status)
        if failed_over.is_set() and status != HTTPStatus.SERVICE_UNAVAILABLE:
            return
        await asyncio.sleep(0.05)


async def resubscribed(cache: Cache, subscriptions: int) -> None:
    """Return once the cache's subscription is up again after a drop."""
    listener = cache.invalidations
    while not (listener.subscribed and listener.subscriptions > subscriptions):  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def recovered(client: AsyncClient, path: str, cache: Cache) -> None:
    """Read path through the cache (its L1 was emptied) until that reached Redis.

    A client learns a cluster's new layout from its first command that fails; the
    cache's breaker then opens, and its next probe finds the new master.
    """
    while True:
        assert (await client.get(path)).status_code == 200
        if not cache.breaker.is_open:
            return
        await asyncio.sleep(0.05)


def masters_to_kill(deployment: RedisDeployment, user_id: int) -> list[Callable[[], RedisNode]]:
    """The masters of the user's sessions and of the cache, in turn (once if they are one)."""
    if deployment.sentinels:
        return [lambda: sentinel_master(deployment)]
    session_tag = "{" + f"user:{user_id}" + "}"
    masters = [
        lambda: cluster_master_of(deployment, session_tag),
        lambda: cluster_master_of(deployment, CACHE_HASH_TAG),
    ]
    if cluster_master_of(deployment, session_tag) is cluster_master_of(deployment, CACHE_HASH_TAG):
        return masters[:1]
    return masters


async def fail_over(deployment: RedisDeployment, master: RedisNode, done: asyncio.Event) -> None:
    """Kill master once its replica has every write; done once the replica took over."""

    def kill_and_wait() -> None:
        master.client().wait(1, 10_000)  # what async replication may lose: see the README
        master.kill()
        if deployment.sentinels:
            wait_for_new_master(deployment, master)
        else:
            wait_for_cluster(deployment, master)

    await asyncio.to_thread(kill_and_wait)
    done.set()


async def two_instances(
    stack: AsyncExitStack, make_settings: SettingsFactory
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    for _ in range(2):
        settings = make_settings(cache_breaker_cooldown=BREAKER_COOLDOWN)
        app = create_app(settings)
        yield app, await stack.enter_async_context(running_client(settings, app))


async def test_sessions_and_cache_recover_when_a_master_dies(
    deployment: RedisDeployment, make_settings: SettingsFactory
) -> None:
    async with AsyncExitStack() as stack:
        (app, client), (other_app, other) = [i async for i in two_instances(stack, make_settings)]
        await signed_in(client)
        other.headers.update(await log_in(other))
        user_id = (await client.get("/api/v1/users/me")).json()["id"]
        created = await client.post("/api/v1/items", json={"name": "n", "price": "1.00"})
        item = f"/api/v1/items/{created.json()['id']}"
        caches: list[Cache] = [app.state.services.cache, other_app.state.services.cache]

        statuses: list[int] = []
        for price, master in enumerate(masters_to_kill(deployment, user_id), start=2):
            assert (await other.get(item)).status_code == 200  # now in the other's L1
            subscriptions = [cache.invalidations.subscriptions for cache in caches]
            failed_over = asyncio.Event()
            await asyncio.wait_for(
                asyncio.gather(
                    fail_over(deployment, master(), failed_over),
                    keep_asking(client, "/api/v1/users/me", statuses, failed_over),
                    keep_asking(other, item, statuses, failed_over),
                ),
                RECOVERY_GUARD_SECONDS,
            )
            # Both instances subscribe again (each emptying its L1 of what it missed).
            await asyncio.wait_for(
                asyncio.gather(*map(resubscribed, caches, subscriptions)), RECOVERY_GUARD_SECONDS
            )

            # A cache that met the failover steps aside for its breaker's cooldown, then
            # comes back (dropping every instance's L1 if it lost invalidations).
            await asyncio.wait_for(
                asyncio.gather(
                    recovered(client, item, caches[0]), recovered(other, item, caches[1])
                ),
                RECOVERY_GUARD_SECONDS,
            )

            # A write after the failover reaches the other instance's L1 as before.
            assert (await other.get(item)).status_code == 200
            changed = await client.patch(item, json={"price": f"{price}.00"})
            assert changed.status_code == 200, changed.text
            assert (await other.get(item)).json()["price"] == f"{price}.00"
            # New sessions are written to the new master.
            assert (await log_in(other)) != {}

    assert set(statuses) <= DURING_FAILOVER, statuses
