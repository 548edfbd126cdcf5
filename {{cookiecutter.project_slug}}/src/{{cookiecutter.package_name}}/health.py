"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable
from http import HTTPStatus

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import choose_encoder

from .db import backend
from .db.engine import ping
from .errors import SERVER_ERRORS, UnauthorizedError, problem_response, problem_responses
from .server import lifecycle_of
from .services import ServicesDep

router = APIRouter(tags=["health"])
log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)


@router.get("/health/live", responses=problem_responses(500))
async def live() -> dict[str, str]:
    """The process is up and serving; checks nothing else."""
    return {"status": "ok"}


async def check(name: str, probe: Awaitable[object], within: float) -> tuple[str, str]:
    """("name", "ok") when probe finishes within the seconds given, else "unavailable"."""
    try:
        async with asyncio.timeout(within):
            await probe
    except Exception as exc:  # noqa: BLE001  # any failure means "not ready"
        log.warning("readiness_failed", dependency=name, exc_type=type(exc).__name__)
        return name, "unavailable"
    return name, "ok"


@router.get("/health/ready", response_model=None, responses=problem_responses(*SERVER_ERRORS))
async def ready(request: Request, services: ServicesDep) -> dict[str, object] | JSONResponse:
    """Whether every dependency answers; 503 names the ones that do not, or says the
    service is stopping (SIGTERM), so load balancers send it nothing new."""
    if lifecycle_of(request).draining:
        return problem_response(
            request,
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            title="Service Unavailable",
            detail="Shutting down: send new requests to another instance.",
            code="shutting-down",
        )
    within = services.settings.db_pool_timeout + 1
    checks = dict(
        await asyncio.gather(
            check(backend.NAME, ping(services.engine), within),
            check("redis", services.redis.ping(), within),
            check("storage", services.storage.ping(), within),
        )
    )
    for name, status in checks.items():
        services.metrics.dependency_ready.labels(name).set(status == "ok")
    failed = sorted(name for name, status in checks.items() if status != "ok")
    if failed:
        return problem_response(
            request,
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            title="Service Unavailable",
            detail=f"Not ready: {', '.join(failed)} unavailable.",
            code="not-ready",
            headers={"Retry-After": "1"},
            extensions={"checks": checks},
        )
    return {"status": "ok", "checks": checks}


def bearer_matches(request: Request, token: str) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    # Constant time: the comparison must not reveal how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(credentials.encode(), token.encode())


EXPOSITION = {
    "description": "The metrics, in Prometheus' text format, or OpenMetrics (with the traces"
    " of the latency histogram's exemplars) when the Accept header asks for it.",
    "content": {
        "text/plain": {"schema": {"type": "string"}},
        "application/openmetrics-text": {"schema": {"type": "string"}},
    },
}


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: EXPOSITION, **problem_responses(401, 500)},
)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """Prometheus text format, or OpenMetrics if asked; with METRICS_TOKEN set, for its
    bearer only."""
    token = services.settings.metrics_token
    if token is not None and not bearer_matches(request, token.get_secret_value()):
        error = UnauthorizedError("/metrics needs the METRICS_TOKEN bearer token.")
        error.headers["WWW-Authenticate"] = "Bearer"
        raise error
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(services.metrics.registry), media_type=content_type)
