"""The Redis client of the service: its pool, the namespace of its keys, its errors.

An unreachable or slow Redis raises RedisUnavailableError from the client itself,
for every command, script and pipeline: callers never see the driver's errors.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import DISTRIBUTION
from .environment import EnvironmentSettings
from .errors import RedisUnavailableError

# What redis-py raises when Redis is unreachable or too slow, as opposed to a bad command.
DRIVER_UNAVAILABLE_ERRORS = (RedisConnectionError, RedisTimeoutError)
REDIS_DOWN = "Redis is unreachable or too slow; retry later."


class RedisSettings(EnvironmentSettings):
    redis_url: str
    # Prefix of every key and channel: services (or test runs) can share one Redis.
    redis_namespace: str = Field(default=DISTRIBUTION, min_length=1)
    redis_max_connections: int = Field(default=50, ge=1)
    # How long a request waits for a free pooled Redis connection.
    redis_pool_timeout: float = Field(default=1.0, gt=0)
    redis_socket_timeout: float = Field(default=1.0, gt=0)
    redis_connect_timeout: float = Field(default=1.0, gt=0)


def create_redis(
    settings: RedisSettings, *, timeout: float | None = None, max_connections: int | None = None
) -> Redis:
    """A client with its own bounded pool; callers close it with aclose().

    timeout, when given, bounds connecting, waiting for a pooled connection and
    each command alike (the cache wants all three short). One immediate retry
    replaces a pooled connection the server has closed; anything beyond fails
    fast instead of holding a request for seconds. A command that timed out is
    never sent again: Redis may have run it, and counters, rate limits and token
    rotation must not run twice.
    """
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=max_connections or settings.redis_max_connections,
        timeout=timeout or settings.redis_pool_timeout,
        socket_timeout=timeout or settings.redis_socket_timeout,
        socket_connect_timeout=timeout or settings.redis_connect_timeout,
        health_check_interval=30,
        retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
        client_name=settings.service_name,
    )
    client = ServiceRedis(connection_pool=pool)
    client.auto_close_connection_pool = True  # the client owns the pool: aclose() closes both
    return client


class ServiceRedis(Redis):
    """redis-py's client, raising RedisUnavailableError when Redis cannot answer."""

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


def redis_key(settings: RedisSettings, *parts: str) -> str:
    """A key (or channel) in this service's namespace: services can share one Redis."""
    return ":".join((settings.redis_namespace, *parts))
