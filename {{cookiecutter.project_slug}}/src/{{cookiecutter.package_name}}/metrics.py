"""Prometheus metrics: requests, latency, the database pool, dependencies and uploads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Self

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import SecretStr, model_validator
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.routing import Route
from starlette.types import Scope

from .cache.metrics import CacheMetrics
from .environment import MIN_SECRET_LENGTH, EnvironmentSettings


class MetricsSettings(EnvironmentSettings):
    # Bearer token /metrics asks for; required in production, open without one elsewhere.
    metrics_token: SecretStr | None = None

    @model_validator(mode="after")
    def require_metrics_token_in_production(self) -> Self:
        token = self.metrics_token
        if self.is_production and (
            token is None or len(token.get_secret_value()) < MIN_SECRET_LENGTH
        ):
            msg = (
                f"METRICS_TOKEN must be a random string of at least {MIN_SECRET_LENGTH} "
                "characters in production: /metrics answers only requests bearing it"
            )
            raise ValueError(msg)
        return self


class PoolCollector(Collector):
    """Reads the pool's gauges at scrape time, so they cost nothing per request."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):
            return
        gauges = {
            "db_pool_size": ("Connections the pool keeps open", pool.size()),
            "db_pool_checked_out": ("Connections in use by requests", pool.checkedout()),
            "db_pool_idle": ("Open connections waiting in the pool", pool.checkedin()),
            # Negative until the pool has opened pool_size connections.
            "db_pool_overflow": ("Connections open beyond the pool size", pool.overflow()),
        }
        for name, (documentation, value) in gauges.items():
            yield GaugeMetricFamily(name, documentation, value=value)


class Metrics:
    """The metrics of one app instance, in a registry of its own.

    exemplar, when given, names the trace of the request being observed (tracing's):
    the latency histogram keeps it per bucket, shown in the OpenMetrics exposition.
    """

    def __init__(self, exemplar: Callable[[], dict[str, str] | None] | None = None) -> None:
        self.exemplar = exemplar
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=self.registry,
        )
        self.dependency_errors = Counter(
            "dependency_errors",
            "Requests answered 503 because a dependency failed, by problem code "
            "(database-busy: the pool had no connection to give within DB_POOL_TIMEOUT)",
            ["code"],
            registry=self.registry,
        )
        self.dependency_ready = Gauge(
            "dependency_ready",
            "1 if the dependency answered the last readiness check (/health/ready), else 0",
            ["dependency"],
            registry=self.registry,
        )
        self.uploads_in_progress = Gauge(
            "uploads_in_progress",
            "Upload requests whose bodies are being received",
            registry=self.registry,
        )
        self.cache = CacheMetrics(self.registry)
        # Each label set's children, found once: labels() costs more than the update.
        self._request_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Count and time one answered request, labelled by route template (not raw path)."""
        route = scope.get("route")
        template = route.path_format if isinstance(route, Route) else "unmatched"
        method = scope["method"]
        key = (method, template, status)
        series = self._request_series.get(key)
        if series is None:
            series = (
                self.requests.labels(method, template, str(status)),
                self.latency.labels(method, template),
            )
            self._request_series[key] = series
        count, latency = series
        count.inc()
        latency.observe(seconds, self.exemplar() if self.exemplar else None)

    def watch_pool(self, engine: AsyncEngine) -> PoolCollector:
        collector = PoolCollector(engine)
        self.registry.register(collector)
        return collector
