"""Invalidations from other instances, received over Redis pub/sub."""

from __future__ import annotations

import asyncio
import contextlib
import json

import structlog
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from ..errors import RedisUnavailableError
from ..redis_client import RedisClient
from .local import LocalCache
from .metrics import CacheMetrics

log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)

MAX_RECONNECT_DELAY = 2.0
# How long one read waits for a message; also the longest stop() waits for run().
POLL_SECONDS = 0.5


class InvalidationListener:
    """Evicts from this instance's L1 what any instance invalidated.

    While the subscription is down, messages are lost: the in-process cache is
    then not used, and it is emptied once the subscription is back.
    """

    def __init__(
        self, redis: RedisClient, channel: str, local: LocalCache, metrics: CacheMetrics
    ) -> None:
        self.redis = redis
        self.channel = channel
        self.local = local
        self.metrics = metrics
        self.subscribed = False
        self.subscriptions = 0  # how often it (re)subscribed
        self.connected = asyncio.Event()
        self._stopping = False

    def stop(self) -> None:
        """Make run() return. Cancelling alone is not enough: a cancellation that
        lands inside redis-py's timed read can be swallowed there.
        """
        self._stopping = True

    async def run(self) -> None:
        delay = 0.05
        while not self._stopping:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.local.clear()  # whatever was missed while unsubscribed
                    self._set_subscribed(True)
                    delay = 0.05
                    # redis-py reconnects a dropped subscription by itself, inside
                    # get_message; what was published meanwhile is lost all the same.
                    connection = pubsub.connection
                    assert connection is not None  # noqa: S101  # subscribe() connected
                    connection.register_connect_callback(self._reconnected)
                    try:
                        while not self._stopping:
                            message = await pubsub.get_message(timeout=POLL_SECONDS)
                            if message is not None:
                                self.apply(message["data"])
                    finally:
                        connection.deregister_connect_callback(self._reconnected)
            except (RedisError, OSError) as exc:
                if self.subscribed:
                    log.warning("cache_invalidations_lost", exc_type=type(exc).__name__)
                self._set_subscribed(False)
                self.local.clear()
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY)
                await self._find_channel_node()
        self._set_subscribed(False)

    async def _find_channel_node(self) -> None:
        """On a Cluster, learn which node serves the channel's slot now.

        A subscription goes to that node, as the client last knew it; after a
        failover only a keyed command makes the client ask the cluster again.
        """
        if isinstance(self.redis, RedisCluster):
            with contextlib.suppress(RedisError, RedisUnavailableError, OSError):
                await self.redis.exists(self.channel)

    def _reconnected(self, _connection: object) -> None:
        log.info("cache_invalidations_resubscribed")
        self.local.clear()
        self.subscriptions += 1

    def apply(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            if message.get("all"):
                self.local.clear()
            else:
                self.local.evict(message["keys"], message["tags"])
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("cache_invalidation_unreadable")
            self.local.clear()  # unknown scope: drop everything

    def _set_subscribed(self, subscribed: bool) -> None:
        if subscribed and not self.subscribed:
            log.info("cache_invalidations_subscribed")
            self.subscriptions += 1
        self.subscribed = subscribed
        self.metrics.subscribed.set(int(subscribed))
        if subscribed:
            self.connected.set()
        else:
            self.connected.clear()
