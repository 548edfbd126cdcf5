"""The Redis connection pool of the service, and the namespace of its keys."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .settings import Settings

# Errors meaning "Redis is unreachable or too slow", as opposed to a bad command.
REDIS_UNAVAILABLE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


def create_redis(
    settings: Settings, *, timeout: float | None = None, max_connections: int | None = None
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
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both


def redis_key(settings: Settings, *parts: str) -> str:
    """A key (or channel) in this service's namespace: services can share one Redis."""
    return ":".join((settings.redis_namespace, *parts))
