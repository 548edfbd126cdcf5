"""Two-level cache: L1 in this process, L2 in Redis, the loader behind both."""

from __future__ import annotations

from ..redis_client import create_redis
from .entry import Cached
from .keys import CacheFamily, CacheKey
from .metrics import CacheMetrics
from .service import Cache
from .settings import CacheSettings


def create_cache(settings: CacheSettings, metrics: CacheMetrics) -> Cache:
    """The cache of one app, with Redis clients of its own (short timeouts)."""
    return Cache(
        settings,
        metrics,
        redis=create_redis(settings, timeout=settings.cache_redis_timeout),
        # Holds the pub/sub connection; a second one only while reconnecting.
        subscriber=create_redis(settings, max_connections=2),
    )


__all__ = ["Cache", "CacheFamily", "CacheKey", "Cached", "create_cache"]
