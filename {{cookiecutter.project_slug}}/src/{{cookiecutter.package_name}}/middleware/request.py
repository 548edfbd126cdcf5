"""The request id; then, in one layer: the access line and metrics, the security
headers, CORS for pages, and the 500 answer of last resort."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable

import structlog
from asgi_correlation_id import CorrelationIdMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import handle_unexpected
from ..metrics import Metrics
from .security_headers import with_security_headers

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

access_log: structlog.typing.FilteringBoundLogger = structlog.get_logger("access")


def is_valid_request_id(value: str) -> bool:
    """Accept a caller's X-Request-ID only when it is short and plain."""
    return REQUEST_ID.match(value) is not None


def new_request_id() -> str:
    """32 random hex digits, like the library's uuid4().hex, for less work per request."""
    return secrets.token_hex(16)


def _no_sentry_tag(_request_id: str) -> None:
    """error_tracking.py puts the request id on the events it sends."""


class RequestIdMiddleware(CorrelationIdMiddleware):
    """The request id of X-Request-ID, or a new one, in correlation_id and the answer.

    Without the library's Sentry hook, which imports the SDK wherever it is installed
    (even with error tracking off) and tags the SDK's scope on every request.
    """

    def __post_init__(self) -> None:
        self.sentry_extension = _no_sentry_tag


def has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope["headers"])


class RequestMiddleware:
    """Per request: one access line and the request metrics, the security headers on the
    answer, and a 500 problem for an unhandled exception.

    One layer instead of one per concern: each layer costs every request a call and a
    wrapped send. cors wraps the app in CORS handling (when origins are configured);
    only the requests of pages, those with an Origin header, go through it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        hsts: bool,
        cors: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.hsts = hsts
        self.cors = cors(app) if cors is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = False
        hsts = self.hsts and scope.get("scheme") == "https"

        async def send_and_record(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = with_security_headers(message.get("headers", ()), hsts=hsts)
            await send(message)

        app = self.cors if self.cors is not None and has_origin(scope) else self.app
        try:
            await app(scope, receive, send_and_record)
        except Exception as exc:
            if response_started:
                raise  # too late for an error document; the server closes the connection
            response = handle_unexpected(Request(scope), exc)
            await response(scope, receive, send_and_record)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe(scope, status, seconds)
            if access_log.is_enabled_for(logging.INFO):
                log_request(scope, status, seconds)


def log_request(scope: Scope, status: int, seconds: float) -> None:
    client = scope.get("client")
    headers = dict(scope["headers"])
    access_log.info(
        "request",
        method=scope["method"],
        path=scope["path"],
        status=status,
        duration_ms=round(seconds * 1000, 2),
        client_ip=client[0] if client else None,
        user_agent=headers.get(b"user-agent", b"").decode("latin-1"),
    )
