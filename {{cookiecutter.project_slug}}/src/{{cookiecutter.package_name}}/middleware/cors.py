"""Cross-origin requests: pages on CORS_ORIGINS may call the API from a browser.

Starlette's CORSMiddleware answers the browsers' preflights and marks the answers
the listed origins may read. Other origins get no Access-Control-* headers, so
their pages' requests fail in the browser; requests that need a preflight
(JSON bodies, Authorization, X-CSRF-Token, an upload strategy's own headers) never
reach a route.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import partial

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from .settings import HttpSettings

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Request headers pages may send, beyond those browsers always allow.
ALLOWED_HEADERS = (
    "Authorization",
    "X-CSRF-Token",
    "X-Request-ID",
    "If-Match",
    "If-None-Match",
)
# Answer headers pages' scripts may read, beyond the few browsers always show.
EXPOSED_HEADERS = (
    "X-Request-ID",
    "ETag",
    "Retry-After",
    "Location",
)
PREFLIGHT_MAX_AGE = 600  # seconds browsers may reuse a preflight's answer


def cors_for(
    settings: HttpSettings,
    *,
    request_headers: Collection[str],
    exposed_headers: Collection[str],
) -> Callable[[ASGIApp], ASGIApp] | None:
    """What wraps an app in CORS for settings.cors_origins; None without origins: the
    API stays same-origin.

    request_headers and exposed_headers: those the routes read and send beyond the
    shared ones (an upload strategy's protocol headers, say).
    """
    if not settings.cors_origins:
        return None
    return partial(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=settings.cors_allow_credentials,
        allow_methods=ALLOWED_METHODS,
        allow_headers=[*ALLOWED_HEADERS, *request_headers],
        expose_headers=[*EXPOSED_HEADERS, *exposed_headers],
        max_age=PREFLIGHT_MAX_AGE,
    )
