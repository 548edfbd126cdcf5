"""A circuit breaker: stop paying Redis timeouts on every request while it is down."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)

# A long outage is reported again at this pace, not on every failed probe.
WARNING_INTERVAL_SECONDS = 60.0


class CircuitBreaker:
    """Closed: calls go through. A failure opens it for `cooldown` seconds; then one
    call is let through as a probe, and its success closes the breaker again.
    """

    def __init__(self, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown = cooldown
        self.clock = clock
        self.open_until: float | None = None
        self._probing = False
        self._warned_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.open_until is not None

    def allows(self) -> bool:
        if self.open_until is None:
            return True
        if self._probing or self.clock() < self.open_until:
            return False
        self._probing = True
        return True

    def failure(self, exc: BaseException) -> None:
        now = self.clock()
        if self._warned_at is None or now - self._warned_at >= WARNING_INTERVAL_SECONDS:
            log.warning(
                "cache_redis_unavailable",
                exc_type=type(exc).__name__,
                retry_in_seconds=self.cooldown,
            )
            self._warned_at = now
        self.open_until = now + self.cooldown
        self._probing = False

    def success(self) -> None:
        if self.open_until is not None:
            log.info("cache_redis_recovered")
        self.open_until = None
        self._probing = False
        self._warned_at = None
