"""Cache settings: sizes, lifetimes, and how long to wait on Redis."""

from __future__ import annotations

from pydantic import Field

from ..redis_client import RedisSettings


class CacheSettings(RedisSettings):
    """Two-level cache: L1 in each process, L2 in Redis."""

    cache_l1_max_items: int = Field(default=10_000, ge=1)
    cache_l1_ttl: float = Field(default=60.0, gt=0)
    cache_ttl: float = Field(default=600.0, gt=0)  # L2, and the longest a caller may ask
    cache_ttl_jitter: float = Field(default=0.1, ge=0, lt=1)
    # Redis is only an optimisation for the cache: give up on it quickly.
    cache_redis_timeout: float = Field(default=0.25, gt=0)
    cache_lock_ttl: float = Field(default=5.0, gt=0)
    cache_lock_wait: float = Field(default=2.0, gt=0)
    cache_breaker_cooldown: float = Field(default=5.0, gt=0)
