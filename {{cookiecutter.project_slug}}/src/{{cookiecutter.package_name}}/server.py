"""The HTTP server: uvicorn, which on SIGTERM drains before it stops.

A load balancer (a Kubernetes Service, an ALB) learns that a replica is stopping
only from its failing readiness probe, a few seconds after the stop began. A
server that closed its socket at once would refuse the requests still sent its
way in those seconds. So on SIGTERM the service first answers /health/ready with
503 while it goes on serving, for SHUTDOWN_DRAIN_SECONDS; then uvicorn stops
gracefully: no new connections, the requests in flight get their time to finish.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from types import FrameType

import structlog
import uvicorn
from fastapi import FastAPI, Request
from pydantic import Field

from .environment import EnvironmentSettings

log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)


class ServerSettings(EnvironmentSettings):
    # Seconds between SIGTERM and the graceful stop, while readiness fails and requests
    # are still served; the image sets 5, time for load balancers to stop sending any.
    shutdown_drain_seconds: float = Field(default=0, ge=0)
    # Seconds an idle keep-alive connection stays open; above a load balancer's own
    # idle timeout, so it never reuses a connection the service is closing.
    keep_alive_seconds: int = Field(default=5, ge=1)


@dataclass(slots=True)
class Lifecycle:
    """Whether the process has been asked to stop; readiness fails from then on."""

    draining: bool = False


def lifecycle_of(request: Request) -> Lifecycle:
    lifecycle: Lifecycle = request.app.state.lifecycle
    return lifecycle


class DrainingServer(uvicorn.Server):
    """uvicorn's server, with a drain between SIGTERM and its graceful stop.

    Ctrl-C (SIGINT), and a second signal during the drain, skip it: uvicorn's graceful
    stop begins at once. A drained stop is a clean one: the process exits with status 0.
    """

    def __init__(self, config: uvicorn.Config, app: FastAPI, drain_seconds: float) -> None:
        super().__init__(config)
        self.lifecycle: Lifecycle = app.state.lifecycle
        self.drain_seconds = drain_seconds
        self.drain_ends: float | None = None
        self.drain_announced = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self.drain_ends is None and not self.should_exit:
            # Only flags: a signal handler interrupts whatever ran, logging included.
            self.lifecycle.draining = True
            self.drain_ends = time.monotonic() + self.drain_seconds
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        # uvicorn's main loop asks every 0.1 s whether to stop.
        if self.drain_ends is not None and not self.should_exit:
            if not self.drain_announced:
                log.info("shutdown_draining", seconds=self.drain_seconds)
                self.drain_announced = True
            if time.monotonic() >= self.drain_ends:
                log.info("shutdown_drained")
                self.should_exit = True
        return await super().on_tick(counter)
