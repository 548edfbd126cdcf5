"""Two-level cache: L1 in this process, L2 in Redis, the loader behind both."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..redis_client import create_redis
from ..settings import Settings
from .entry import Cached
from .keys import CacheFamily, CacheKey
from .metrics import CacheMetrics
from .service import Cache


def create_cache(settings: Settings, metrics: CacheMetrics) -> Cache:
    """The cache of one app, with Redis clients of its own (short timeouts)."""
    return Cache(
        settings,
        metrics,
        redis=create_redis(settings, timeout=settings.cache_redis_timeout),
        # Holds the pub/sub connection; a second one only while reconnecting.
        subscriber=create_redis(settings, max_connections=2),
    )


def cache_of(request: Request) -> Cache:
    """The app's cache; hot read routes call this rather than depend on CacheDep."""
    cache: Cache = request.app.state.cache
    return cache


async def get_cache(request: Request) -> Cache:
    # async: FastAPI would run a plain def in a worker thread, on every request.
    return cache_of(request)


CacheDep = Annotated[Cache, Depends(get_cache)]

__all__ = ["Cache", "CacheDep", "CacheFamily", "CacheKey", "Cached", "cache_of", "create_cache"]
