"""The two-level cache against the real Redis: levels, expiry, invalidation, locks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.cache import Cache, CacheFamily, create_cache
from {{ cookiecutter.package_name }}.cache.metrics import CacheMetrics
from {{ cookiecutter.package_name }}.cache.remote import (
    CACHE_HASH_TAG,
    MAX_TRACKED_PER_TAG,
)
from {{ cookiecutter.package_name }}.redis_client import create_redis, redis_key

from ..helpers.settings import SettingsFactory


class Thing(BaseModel):
    name: str


class OtherThing(BaseModel):
    name: str
    size: int


THING = CacheFamily("thing", Thing)


class CountingLoader:
    """A loader that counts its calls and can be held until released."""

    def __init__(self, name: str = "first") -> None:
        self.name = name
        self.calls = 0
        self.called = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> Thing:
        self.calls += 1
        self.called.set()
        await self.release.wait()
        return Thing(name=self.name)


@pytest.fixture
async def caches(make_settings: SettingsFactory) -> AsyncIterator[Callable[..., Cache]]:
    """Makes started caches (one per simulated instance), closed after the test."""
    started: list[Cache] = []

    def make(**overrides: object) -> Cache:
        settings = make_settings(**({"cache_ttl_jitter": 0} | overrides))
        cache = create_cache(settings, CacheMetrics(CollectorRegistry()))
        started.append(cache)
        return cache

    yield make
    for cache in started:
        await cache.close()


async def started(cache: Cache) -> Cache:
    await cache.start()
    await asyncio.wait_for(cache.invalidations.connected.wait(), timeout=10)
    return cache


def lookups(cache: Cache, level: str, result: str) -> float:
    return cache.metrics.lookups.labels(level, result)._value.get()  # type: ignore[no-any-return]


async def test_miss_then_l1_hit(caches: Callable[..., Cache]) -> None:
    cache = await started(caches())
    loader = CountingLoader()

    first = await cache.get_or_load(THING.key(1), loader)
    second = await cache.get_or_load(THING.key(1), loader)

    assert loader.calls == 1
    assert first.value == second.value == Thing(name="first")
    assert first.etag == second.etag
    assert lookups(cache, "l1", "hit") == 1
    assert lookups(cache, "l2", "miss") == 1


async def test_another_instance_hits_l2_without_loading(caches: Callable[..., Cache]) -> None:
    one, two = await started(caches()), await started(caches())
    loader = CountingLoader()

    await one.get_or_load(THING.key(1), loader)
    from_two = await two.get_or_load(THING.key(1), loader)

    assert loader.calls == 1
    assert from_two.value == Thing(name="first")
    assert lookups(two, "l2", "hit") == 1


async def test_entries_expire_per_level(caches: Callable[..., Cache]) -> None:
    cache = await started(caches(cache_l1_ttl=0.2, cache_ttl=0.6))
    other = await started(caches(cache_l1_ttl=0.2, cache_ttl=0.6))
    loader = CountingLoader()

    await cache.get_or_load(THING.key(1), loader)
    await asyncio.sleep(0.3)  # past L1's TTL, within L2's
    await cache.get_or_load(THING.key(1), loader)
    l2_hits_before_expiry = lookups(cache, "l2", "hit")
    await asyncio.sleep(0.4)  # past L2's TTL too
    await other.get_or_load(THING.key(1), loader)

    assert l2_hits_before_expiry == 1
    assert loader.calls == 2


async def test_invalidate_reaches_every_instance(caches: Callable[..., Cache]) -> None:
    one, two = await started(caches()), await started(caches())
    await one.get_or_load(THING.key(1), CountingLoader("old"))
    await two.get_or_load(THING.key(1), CountingLoader("old"))

    await one.invalidate(THING.key(1))
    # Pub/sub delivery to the other instance is asynchronous, but quick.
    for _ in range(100):
        if len(two.local) == 0:
            break
        await asyncio.sleep(0.01)
    seen_by_two = await two.get_or_load(THING.key(1), CountingLoader("new"))

    assert seen_by_two.value == Thing(name="new")


async def test_tag_invalidation_removes_tagged_entries_and_the_tag_set(
    caches: Callable[..., Cache], make_settings: SettingsFactory
) -> None:
    cache = await started(caches())
    for number in range(3):
        await cache.get_or_load(THING.key(number), CountingLoader(), tags=["things"])
    untagged = await cache.get_or_load(THING.key("alone"), CountingLoader())
    redis = create_redis(make_settings())
    tag_set = cache.remote.tag_set_key("things")
    try:
        members = [
            member.decode() if isinstance(member, bytes) else member
            for member in await redis.smembers(tag_set)
        ]
        entry_expiry = [await redis.pexpiretime(member) for member in members]
        tag_set_expiry = await redis.pexpiretime(tag_set)

        await cache.invalidate_tags("things")

        left = [member for member in members if await redis.exists(member)]
        tag_set_left = await redis.exists(tag_set)
        alone_left = await redis.exists(cache.remote.entry_key(THING.key("alone")))
    finally:
        await redis.aclose()

    assert len(members) == 3
    assert tag_set_expiry >= max(entry_expiry) > 0
    assert left == []
    assert tag_set_left == 0
    assert alone_left == 1
    assert untagged.value == Thing(name="first")
    reloaded = CountingLoader("again")
    await cache.get_or_load(THING.key(0), reloaded, tags=["things"])
    assert reloaded.calls == 1


async def test_a_tag_lists_a_bounded_number_of_entries_and_still_invalidates_all(
    caches: Callable[..., Cache], make_settings: SettingsFactory
) -> None:
    """Many pages under one tag: what an invalidation must delete stays bounded."""
    cache = await started(caches())
    entries = MAX_TRACKED_PER_TAG + 20
    for number in range(entries):
        await cache.get_or_load(THING.key(number), CountingLoader(), tags=["pages"])
    redis = create_redis(make_settings())
    try:
        tracked = await redis.scard(cache.remote.tag_set_key("pages"))
        await cache.invalidate_tags("pages")
        tag_set_left = await redis.exists(cache.remote.tag_set_key("pages"))
    finally:
        await redis.aclose()
    cache.local.clear()  # L2 alone answers below
    reloads = [CountingLoader("new") for _ in range(entries)]
    values = [
        (await cache.get_or_load(THING.key(number), reload, tags=["pages"])).value
        for number, reload in enumerate(reloads)
    ]

    assert tracked == MAX_TRACKED_PER_TAG
    assert tag_set_left == 0
    # Untracked entries outlive the invalidation in Redis, but none is served.
    assert values == [Thing(name="new")] * entries
    assert all(reload.calls == 1 for reload in reloads)


async def test_load_overtaken_by_an_invalidation_is_not_kept(
    caches: Callable[..., Cache],
) -> None:
    one, two = await started(caches()), await started(caches())
    slow = CountingLoader("before the update")
    slow.release.clear()

    loading = asyncio.create_task(one.get_or_load(THING.key(1), slow))
    await slow.called.wait()
    await two.invalidate(THING.key(1))  # the data changed while the load ran
    slow.release.set()
    stale = await loading
    fresh = CountingLoader("after the update")
    seen_by_one = await one.get_or_load(THING.key(1), fresh)
    seen_by_two = await two.get_or_load(THING.key(1), fresh)

    assert stale.value == Thing(name="before the update")  # its own caller gets it
    assert seen_by_one.value == seen_by_two.value == Thing(name="after the update")
    assert fresh.calls == 1


async def test_concurrent_misses_in_one_process_share_one_load(
    caches: Callable[..., Cache],
) -> None:
    cache = await started(caches())
    loader = CountingLoader()
    loader.release.clear()

    waiting = [asyncio.create_task(cache.get_or_load(THING.key(1), loader)) for _ in range(50)]
    await asyncio.sleep(0.05)
    loader.release.set()
    results = await asyncio.gather(*waiting)

    assert loader.calls == 1
    assert {result.value.name for result in results} == {"first"}


async def test_loader_error_reaches_every_waiter_and_nothing_is_stored(
    caches: Callable[..., Cache],
) -> None:
    cache = await started(caches())
    calls = 0

    async def failing() -> Thing:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        raise LookupError("gone")

    results = await asyncio.gather(
        *(cache.get_or_load(THING.key(1), failing) for _ in range(5)), return_exceptions=True
    )
    after = await cache.get_or_load(THING.key(1), CountingLoader("exists now"))

    assert calls == 1
    assert all(isinstance(result, LookupError) for result in results)
    assert after.value == Thing(name="exists now")


async def test_lock_of_a_dead_holder_expires_and_another_loads(
    caches: Callable[..., Cache], make_settings: SettingsFactory
) -> None:
    cache = await started(caches())
    redis = create_redis(make_settings())
    lock_name = cache.remote.lock(THING.key(1), 1).name
    try:
        # A holder that crashed: its lock is there, nobody will release it.
        await redis.set(lock_name, "token-of-a-dead-process", px=300)
        loader = CountingLoader()
        result = await cache.get_or_load(THING.key(1), loader)
        lock_left = await redis.exists(lock_name)
    finally:
        await redis.aclose()

    assert result.value == Thing(name="first")
    assert loader.calls == 1
    assert lock_left == 0  # taken over, then released by its new holder
    assert cache.metrics.lock_waits._value.get() == 1


async def test_waiter_gives_up_after_the_bounded_wait_and_loads_itself(
    caches: Callable[..., Cache], make_settings: SettingsFactory
) -> None:
    cache = await started(caches(cache_lock_wait=0.2))
    redis = create_redis(make_settings())
    lock_name = cache.remote.lock(THING.key(1), 1).name
    try:
        await redis.set(lock_name, "a-very-slow-holder", px=30_000)
        loader = CountingLoader()
        result = await cache.get_or_load(THING.key(1), loader)
        holder_lock = await redis.get(lock_name)
    finally:
        await redis.delete(lock_name)
        await redis.aclose()

    assert result.value == Thing(name="first")
    assert loader.calls == 1
    assert holder_lock == b"a-very-slow-holder"  # the waiter never touched it
    assert cache.metrics.lock_timeouts._value.get() == 1


async def test_slow_holder_never_releases_a_lock_it_no_longer_holds(
    caches: Callable[..., Cache], make_settings: SettingsFactory
) -> None:
    cache = caches()
    slow = cache.remote.lock(THING.key(1), 0.1)
    assert await slow.acquire()
    await asyncio.sleep(0.2)  # its lock expired while it worked
    successor = cache.remote.lock(THING.key(1), 30)
    assert await successor.acquire()
    assert successor.token is not None
    successor_token = successor.token.encode()

    released_by_slow = await slow.release()
    redis = create_redis(make_settings())
    try:
        still_held = await redis.get(successor.name)
    finally:
        await redis.aclose()
    released_by_successor = await successor.release()

    assert released_by_slow is False
    assert still_held == successor_token
    assert released_by_successor is True


async def test_entries_of_another_schema_are_never_read(caches: Callable[..., Cache]) -> None:
    old, new = await started(caches()), await started(caches())
    await old.get_or_load(THING.key(1), CountingLoader())
    changed = CacheFamily("thing", OtherThing)

    async def load_other() -> OtherThing:
        return OtherThing(name="reshaped", size=3)

    result = await new.get_or_load(changed.key(1), load_other)

    assert changed.fingerprint != THING.fingerprint
    assert result.value == OtherThing(name="reshaped", size=3)


async def test_keys_live_in_the_service_namespace_in_one_hash_slot(
    caches: Callable[..., Cache], redis_namespace: str
) -> None:
    cache = await started(caches())

    await cache.get_or_load(THING.key(1), CountingLoader())

    # The hash tag {cache}: on a Redis Cluster every cache key shares one slot.
    prefix = redis_key(cache.settings, CACHE_HASH_TAG)
    assert prefix == f"{redis_namespace}:" + CACHE_HASH_TAG
    assert cache.remote.entry_key(THING.key(1)).startswith(f"{prefix}:e:")
    assert cache.remote.tag_set_key("things").startswith(f"{prefix}:t:")
    assert cache.remote.channel == f"{prefix}:invalidations"
