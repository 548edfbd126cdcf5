"""The Redis client of the service: its pool, the namespace of its keys, its errors.

One node (REDIS_URL), a master found through Sentinel (REDIS_SENTINELS) or a
Cluster (REDIS_CLUSTER=true, REDIS_URL naming any of its nodes): create_redis
builds the client for each, from redis-py's own clients. An unreachable or slow
Redis, or one in the middle of a failover, raises RedisUnavailableError from the
client itself, for every command, script and pipeline: callers never see the
driver's errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator
from typing import Any, Self, cast

from pydantic import Field, SecretStr, model_validator
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import NoBackoff
from redis.exceptions import ClusterDownError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import DISTRIBUTION
from .environment import EnvironmentSettings
from .errors import RedisUnavailableError

# What redis-py raises when Redis is unreachable, too slow or failing over, as
# opposed to a bad command. Sentinel's MasterNotFoundError is a ConnectionError.
DRIVER_UNAVAILABLE_ERRORS = (
    RedisConnectionError,
    RedisTimeoutError,
    ClusterDownError,
    TryAgainError,
)
REDIS_DOWN = "Redis is unreachable or too slow; retry later."

# Either client answers the commands the service sends.
RedisClient = Redis | RedisCluster


class RedisSettings(EnvironmentSettings):
    # One node; with REDIS_CLUSTER=true, any node of the cluster (the others are discovered).
    redis_url: str | None = None
    redis_cluster: bool = False
    # Sentinel instead: their host:port, comma-separated, and the name of the master they watch.
    redis_sentinels: str | None = None
    redis_sentinel_master: str = "mymaster"
    redis_sentinel_password: SecretStr | None = None  # the sentinels' own (requirepass)
    # The master's and replicas' credentials with Sentinel (a URL carries its own).
    redis_username: str | None = None
    redis_password: SecretStr | None = None
    # Prefix of every key and channel: services (or test runs) can share one Redis.
    redis_namespace: str = Field(default=DISTRIBUTION, min_length=1)
    redis_max_connections: int = Field(default=50, ge=1)
    # How long a request waits for a free pooled Redis connection.
    redis_pool_timeout: float = Field(default=1.0, gt=0)
    redis_socket_timeout: float = Field(default=1.0, gt=0)
    redis_connect_timeout: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def one_deployment(self) -> Self:
        if self.redis_sentinels and self.redis_cluster:
            msg = "set REDIS_SENTINELS or REDIS_CLUSTER=true, not both: they are two deployments"
            raise ValueError(msg)
        if self.redis_sentinels and self.redis_url:
            msg = "with REDIS_SENTINELS the sentinels name the master: unset REDIS_URL"
            raise ValueError(msg)
        if not (self.redis_sentinels or self.redis_url):
            msg = "set REDIS_URL (one node, or a node of a cluster) or REDIS_SENTINELS"
            raise ValueError(msg)
        if self.redis_sentinels:
            self.sentinel_addresses()  # refuses a malformed list at start-up
        return self

    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """REDIS_SENTINELS as (host, port) pairs."""
        addresses = []
        for entry in (self.redis_sentinels or "").split(","):
            host, _, port = entry.strip().rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                msg = f"REDIS_SENTINELS: {entry.strip()!r} is not host:port"
                raise ValueError(msg)
            addresses.append((host.strip("[]"), int(port)))
        return addresses


def create_redis(
    settings: RedisSettings, *, timeout: float | None = None, max_connections: int | None = None
) -> RedisClient:
    """A client with its own bounded pool; callers close it with aclose().

    timeout, when given, bounds connecting, waiting for a pooled connection and
    each command alike (the cache wants all three short). One immediate retry
    replaces a pooled connection the server has closed; anything beyond fails
    fast instead of holding a request for seconds. A command that timed out is
    never sent again: Redis may have run it, and counters, rate limits and token
    rotation must not run twice.
    """
    options: dict[str, Any] = {
        "max_connections": max_connections or settings.redis_max_connections,
        "socket_timeout": timeout or settings.redis_socket_timeout,
        "socket_connect_timeout": timeout or settings.redis_connect_timeout,
        "retry": Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
        "client_name": settings.service_name,
    }
    pool_timeout = timeout or settings.redis_pool_timeout
    if settings.redis_cluster:
        assert settings.redis_url is not None  # noqa: S101  # the settings refuse less
        from_url = ServiceRedisCluster.from_url(settings.redis_url, **options)
        cluster = cast("ServiceRedisCluster", from_url)
        cluster.bound_commands(options["max_connections"], pool_timeout)
        return cluster
    options |= {"timeout": pool_timeout, "health_check_interval": 30}
    if settings.redis_sentinels:
        return _sentinel_master(settings, options)
    assert settings.redis_url is not None  # noqa: S101  # the settings refuse less
    pool = BlockingConnectionPool.from_url(settings.redis_url, **options)
    single = ServiceRedis(connection_pool=pool)
    single.auto_close_connection_pool = True  # the client owns the pool: aclose() closes both
    return single


def _sentinel_master(settings: RedisSettings, options: dict[str, Any]) -> ServiceRedis:
    """A client of the master the sentinels name, asked again after each failover."""
    password = settings.redis_password
    sentinel_password = settings.redis_sentinel_password
    sentinel = Sentinel(
        settings.sentinel_addresses(),
        sentinel_kwargs={
            "socket_timeout": options["socket_timeout"],
            "socket_connect_timeout": options["socket_connect_timeout"],
            "password": sentinel_password.get_secret_value() if sentinel_password else None,
        },
        username=settings.redis_username,
        password=password.get_secret_value() if password else None,
    )
    client: ServiceRedis = sentinel.master_for(
        settings.redis_sentinel_master,
        redis_class=ServiceRedis,
        connection_pool_class=BlockingSentinelConnectionPool,
        **options,
    )
    client.auto_close_connection_pool = True
    client.sentinels = sentinel  # closed with the client
    return client


class BlockingSentinelConnectionPool(SentinelConnectionPool, BlockingConnectionPool):
    """Connections to the master the sentinels name, and a request finding them all
    busy waits (up to the pool timeout) as with one node, instead of failing at once."""


class ServiceRedis(Redis):
    """redis-py's client, raising RedisUnavailableError when Redis cannot answer."""

    sentinels: Sentinel | None = None  # the sentinels that name its master, if any

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        if self.sentinels is not None:
            await self.sentinels.aclose()

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except DRIVER_UNAVAILABLE_ERRORS as exc:
            raise RedisUnavailableError(REDIS_DOWN) from exc

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return ServicePipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


class ServicePipeline(Pipeline):
    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        try:
            return await super().execute(raise_on_error)
        except DRIVER_UNAVAILABLE_ERRORS as exc:
            raise RedisUnavailableError(REDIS_DOWN) from exc


_holds_slot = contextvars.ContextVar("holds_redis_slot", default=False)


class ServiceRedisCluster(RedisCluster):
    """redis-py's cluster client, raising RedisUnavailableError when the cluster cannot answer.

    Its pools do not block (a command finding every connection to a node busy
    fails at once), so commands wait here for one of max_connections slots
    instead, up to the pool timeout, as with one node.
    """

    _slots: asyncio.Semaphore | None = None
    _slot_timeout: float = 1.0

    def bound_commands(self, max_connections: int, timeout: float) -> None:
        self._slots = asyncio.Semaphore(max_connections)
        self._slot_timeout = timeout

    @contextlib.asynccontextmanager
    async def command_slot(self) -> AsyncIterator[None]:
        # redis-py runs some commands as several on the way: they share the slot.
        if self._slots is None or _holds_slot.get():
            yield
            return
        try:
            await asyncio.wait_for(self._slots.acquire(), self._slot_timeout)
        except TimeoutError as exc:
            msg = "every Redis connection stayed busy; retry later."
            raise RedisUnavailableError(msg) from exc
        held = _holds_slot.set(True)
        try:
            yield
        finally:
            _holds_slot.reset(held)
            self._slots.release()

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        async with self.command_slot():
            try:
                return await super().execute_command(*args, **options)
            except DRIVER_UNAVAILABLE_ERRORS as exc:
                raise RedisUnavailableError(REDIS_DOWN) from exc

    def pipeline(
        self, transaction: Any | None = None, shard_hint: Any | None = None
    ) -> ClusterPipeline:
        if shard_hint:
            msg = "a cluster pipeline takes no shard_hint"
            raise ValueError(msg)
        # redis-py's stubs leave the pipeline's event dispatcher abstract; it sets one.
        return ServiceClusterPipeline(self, transaction)  # type: ignore[abstract]


class ServiceClusterPipeline(ClusterPipeline):
    async def execute(
        self, raise_on_error: bool = True, allow_redirections: bool = True
    ) -> list[Any]:
        cluster = self.cluster_client
        assert isinstance(cluster, ServiceRedisCluster)  # noqa: S101  # it made this pipeline
        async with cluster.command_slot():
            try:
                return await super().execute(raise_on_error, allow_redirections)
            except DRIVER_UNAVAILABLE_ERRORS as exc:
                raise RedisUnavailableError(REDIS_DOWN) from exc


def redis_key(settings: RedisSettings, *parts: str) -> str:
    """A key (or channel) in this service's namespace: services can share one Redis."""
    return ":".join((settings.redis_namespace, *parts))


def hash_tagged(settings: RedisSettings, tag: str, *parts: str) -> str:
    """A key in the namespace whose hash slot only tag decides: on a Cluster, keys
    sharing a tag share a node, so one script or transaction may touch them all.
    """
    return ":".join((settings.redis_namespace, "{" + tag + "}", *parts))
