"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import asyncio
from http import HTTPStatus

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .db import backend
from .db.engine import ping
from .errors import problem_response

router = APIRouter(tags=["health"])
log = structlog.stdlib.get_logger(__name__)


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process is up and serving; checks nothing else."""
    return {"status": "ok"}


@router.get("/health/ready", response_model=None)
async def ready(request: Request) -> dict[str, object] | JSONResponse:
    """Whether every dependency answers; 503 names the ones that do not."""
    timeout = request.app.state.settings.db_pool_timeout + 1
    try:
        await asyncio.wait_for(ping(request.app.state.engine), timeout=timeout)
    except Exception as exc:  # noqa: BLE001  # any failure means "not ready"
        log.warning("readiness_failed", dependency=backend.NAME, exc_type=type(exc).__name__)
        checks = {backend.NAME: "unavailable"}
        return problem_response(
            request,
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            title="Service Unavailable",
            detail=f"Not ready: {backend.NAME} is unavailable.",
            code="not-ready",
            headers={"Retry-After": "1"},
            extensions={"checks": checks},
        )
    return {"status": "ok", "checks": {backend.NAME: "ok"}}


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
