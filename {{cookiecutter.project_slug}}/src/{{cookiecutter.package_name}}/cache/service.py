"""The cache API: get_or_load, invalidate, invalidate_tags.

Reads go L1 (this process) → L2 (Redis) → loader (the database). Concurrent
misses for one key share one load within a process (single flight) and, across
processes, wait for the holder of a Redis lock. Redis trouble never fails a
request: the cache steps aside and the loader answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any, ParamSpec, TypeVar

import structlog
from redis.exceptions import RedisError

from ..errors import RedisUnavailableError
from ..redis_client import RedisClient
from .breaker import CircuitBreaker
from .entry import Cached, Entry
from .invalidation import InvalidationListener
from .keys import CacheKey
from .local import LocalCache
from .lock import RedisLock
from .metrics import CacheMetrics
from .remote import RemoteCache
from .settings import CacheSettings

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")
Loader = Callable[[], Awaitable[T]]

log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)

FIRST_POLL_DELAY = 0.002
MAX_POLL_DELAY = 0.05


class RedisUnavailable(Exception):
    """Redis failed or the breaker is open: go to the loader."""


class Cache:
    def __init__(
        self,
        settings: CacheSettings,
        metrics: CacheMetrics,
        redis: RedisClient,
        subscriber: RedisClient,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.redis = redis
        self.local = LocalCache(settings.cache_l1_max_items)
        self.remote = RemoteCache(
            redis, settings.redis_namespace, generation_ttl=2 * settings.cache_ttl
        )
        self.breaker = CircuitBreaker(settings.cache_breaker_cooldown)
        self.invalidations = InvalidationListener(
            subscriber, self.remote.channel, self.local, metrics
        )
        self._subscriber = subscriber
        self._flights: dict[tuple[str, str], asyncio.Future[Entry]] = {}
        self._fingerprints: set[str] = set()
        self._lost_invalidations = False
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._listener = asyncio.create_task(self.invalidations.run(), name="cache-invalidations")

    async def close(self) -> None:
        if self._listener is not None:
            self.invalidations.stop()
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._subscriber.aclose()
        await self.redis.aclose()

    async def get_or_load(
        self,
        key: CacheKey[T],
        loader: Loader[T],
        *,
        ttl: float | None = None,
        tags: Iterable[str] = (),
    ) -> Cached[T]:
        """The cached value of key, loading it with loader on a miss.

        An exception from loader (say, NotFoundError) reaches every caller
        waiting for that load and nothing is stored.
        """
        family = key.family
        if ttl is not None and not 0 < ttl <= self.settings.cache_ttl:
            msg = f"ttl must be within (0, CACHE_TTL={self.settings.cache_ttl}]"
            raise ValueError(msg)
        tag_set = frozenset(tags)
        self._fingerprints.add(family.fingerprint)
        if self.invalidations.subscribed:
            entry = self.local.get(key.name, family.fingerprint)
            if entry is not None:
                self.metrics.l1_hits.inc()
                return Cached(entry.body, entry.etag, family.adapter)
            self.metrics.l1_misses.inc()
        entry = await self._single_flight(key, loader, ttl or self.settings.cache_ttl, tag_set)
        return Cached(entry.body, entry.etag, family.adapter)

    async def invalidate(self, *keys: CacheKey[Any], tags: Iterable[str] = ()) -> None:
        """Drop keys (and every entry tagged with tags) everywhere, before returning."""
        await self._invalidate([key.name for key in keys], list(tags))

    async def invalidate_tags(self, *tags: str) -> None:
        await self._invalidate([], list(tags))

    async def _invalidate(self, names: Collection[str], tags: Collection[str]) -> None:
        """Here at once; in Redis and, through pub/sub, in every other instance."""
        self.local.evict(names, tags)
        try:
            await self._remote(self.remote.invalidate, names, tags, self._fingerprints)
        except RedisUnavailable:
            # Entries in Redis may now be stale: once it answers again, every
            # instance drops everything (see _remote).
            self._lost_invalidations = True

    async def _single_flight(
        self, key: CacheKey[T], loader: Loader[T], ttl: float, tags: frozenset[str]
    ) -> Entry:
        flight_key = (key.family.fingerprint, key.name)
        flight = self._flights.get(flight_key)
        if flight is None:
            flight = asyncio.ensure_future(self._load(key, loader, ttl, tags))
            self._flights[flight_key] = flight
            flight.add_done_callback(lambda done: self._finish_flight(flight_key, done))
        # shield: a caller that goes away does not cancel the others' load.
        return await asyncio.shield(flight)

    def _finish_flight(self, flight_key: tuple[str, str], flight: asyncio.Future[Entry]) -> None:
        self._flights.pop(flight_key, None)
        if not flight.cancelled():
            flight.exception()  # retrieved here too, in case every caller went away

    async def _load(
        self, key: CacheKey[T], loader: Loader[T], ttl: float, tags: frozenset[str]
    ) -> Entry:
        epoch = self.local.epoch
        try:
            body, generations = await self._remote(self.remote.read, key, tags)
        except RedisUnavailable:
            return self._entry(key, await self._call(loader), tags, ttl)
        if body is not None:
            self.metrics.l2_hits.inc()
            return self._keep_local(key.name, self._entry_of(key, body, tags, ttl), epoch)
        self.metrics.l2_misses.inc()

        lock = self.remote.lock(key, self.settings.cache_lock_ttl)
        try:
            try:
                if await self._remote(lock.acquire):
                    # The last holder may have stored it between our read and our lock.
                    body, generations = await self._remote(self.remote.read, key, tags)
                else:
                    body, generations = await self._wait_for_holder(key, tags, lock)
            except RedisUnavailable:
                return self._entry(key, await self._call(loader), tags, ttl)
            if body is not None:
                return self._keep_local(key.name, self._entry_of(key, body, tags, ttl), epoch)
            entry = self._entry(key, await self._call(loader), tags, ttl)
            with contextlib.suppress(RedisUnavailable):
                await self._remote(
                    self.remote.write,
                    key,
                    entry.body,
                    generations=generations,
                    ttl=self._jittered(ttl),
                    tags=tags,
                )
            return self._keep_local(key.name, entry, epoch)
        finally:
            if lock.token is not None:
                with contextlib.suppress(RedisUnavailable):
                    await self._remote(lock.release)

    async def _wait_for_holder(
        self, key: CacheKey[Any], tags: frozenset[str], lock: RedisLock
    ) -> tuple[bytes | None, bytes]:
        """Another process is loading: poll for its result for at most CACHE_LOCK_WAIT.

        Returns the body it stored, or (None, generations) when this process
        should load: it took the lock over from a holder that stored nothing (it
        died or failed), or it waited long enough (then it loads without the lock).
        """
        self.metrics.lock_waits.inc()
        deadline = time.monotonic() + self.settings.cache_lock_wait
        delay = FIRST_POLL_DELAY
        generations = b""
        while time.monotonic() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_POLL_DELAY)
            body, generations = await self._remote(self.remote.read, key, tags)
            if body is not None:
                return body, generations
            if await self._remote(lock.acquire):
                # The holder may have stored its result just before it let go.
                return await self._remote(self.remote.read, key, tags)
        self.metrics.lock_timeouts.inc()
        log.warning("cache_lock_wait_timeout", key=key.name)
        return None, generations

    async def _call(self, loader: Loader[T]) -> T:
        self.metrics.loads.inc()
        return await loader()

    async def _remote(
        self, operation: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run a Redis operation through the breaker; RedisUnavailable when it cannot."""
        if not self.breaker.allows():
            raise RedisUnavailable
        try:
            if self._lost_invalidations:
                await self.remote.invalidate_all()
                self._lost_invalidations = False
                log.info("cache_reset_after_lost_invalidations")
            result = await operation(*args, **kwargs)
        except (RedisUnavailableError, RedisError, OSError) as exc:
            self.metrics.redis_errors.inc()
            self.breaker.failure(exc)
            self.metrics.breaker_open.set(1)
            raise RedisUnavailable from exc
        self.breaker.success()
        self.metrics.breaker_open.set(0)
        return result

    def _entry(self, key: CacheKey[T], value: T, tags: frozenset[str], ttl: float) -> Entry:
        return self._entry_of(key, key.family.adapter.dump_json(value), tags, ttl)

    def _entry_of(self, key: CacheKey[Any], body: bytes, tags: frozenset[str], ttl: float) -> Entry:
        local_ttl = self._jittered(min(ttl, self.settings.cache_l1_ttl))
        return Entry.of(
            body,
            fingerprint=key.family.fingerprint,
            tags=tags,
            local_expiry=time.monotonic() + local_ttl,
        )

    def _keep_local(self, name: str, entry: Entry, epoch: int) -> Entry:
        if self.invalidations.subscribed:
            self.local.put(name, entry, loaded_at_epoch=epoch)
        return entry

    def _jittered(self, ttl: float) -> float:
        """Up to CACHE_TTL_JITTER shorter, so entries loaded together expire apart."""
        return ttl * (1 - random.random() * self.settings.cache_ttl_jitter)  # noqa: S311
