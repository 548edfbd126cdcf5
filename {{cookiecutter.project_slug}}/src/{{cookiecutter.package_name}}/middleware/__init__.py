"""The HTTP middleware around every route, in the order requests pass through it."""

from __future__ import annotations

from collections.abc import Collection

from fastapi import FastAPI

from ..metrics import Metrics
from .body_limit import BodySizeLimitMiddleware
from .cors import cors_for
from .request import RequestIdMiddleware, RequestMiddleware, is_valid_request_id, new_request_id
from .settings import HttpSettings


def add_middleware(
    app: FastAPI,
    settings: HttpSettings,
    metrics: Metrics,
    *,
    streamed_body_paths: Collection[str],
    cors_request_headers: Collection[str],
    cors_exposed_headers: Collection[str],
) -> None:
    """Wrap the app: request id; access log, security headers and CORS; body limit
    (outermost first).

    The routes' needs come from api.py: the paths that stream their bodies, and the
    headers beyond the shared ones that pages on other origins may send and read.
    Starlette runs the middleware added last first, hence the reverse order here.
    """
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        exempt_paths=streamed_body_paths,
        in_progress=metrics.uploads_in_progress,
    )
    # CORS inside the request id and access log: preflights are logged, with an id.
    cors = cors_for(
        settings, request_headers=cors_request_headers, exposed_headers=cors_exposed_headers
    )
    app.add_middleware(RequestMiddleware, metrics=metrics, hsts=settings.is_production, cors=cors)
    # Outermost: the request id exists before anything logs.
    app.add_middleware(
        RequestIdMiddleware,
        header_name="X-Request-ID",
        validator=is_valid_request_id,
        generator=new_request_id,
    )
