"""Prometheus metrics of the cache."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class CacheMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.lookups = Counter(
            "cache_lookups",
            "Cache lookups by level and result",
            ["level", "result"],
            registry=registry,
        )
        self.loads = Counter("cache_loads", "Values loaded from the source", registry=registry)
        self.lock_waits = Counter(
            "cache_lock_waits", "Loads that waited for another process's load", registry=registry
        )
        self.lock_timeouts = Counter(
            "cache_lock_timeouts",
            "Waits for another process's load that gave up and loaded themselves",
            registry=registry,
        )
        self.redis_errors = Counter(
            "cache_redis_errors", "Redis calls of the cache that failed", registry=registry
        )
        self.breaker_open = Gauge(
            "cache_breaker_open", "1 while the cache bypasses Redis", registry=registry
        )
        self.subscribed = Gauge(
            "cache_invalidations_subscribed",
            "1 while this instance receives invalidations (and uses its in-process cache)",
            registry=registry,
        )
        # Bound once: labels() costs a lock and a lookup on every call.
        self.l1_hits = self.lookups.labels("l1", "hit")
        self.l1_misses = self.lookups.labels("l1", "miss")
        self.l2_hits = self.lookups.labels("l2", "hit")
        self.l2_misses = self.lookups.labels("l2", "miss")
