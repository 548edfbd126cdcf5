"""The request id; one access line and the request metrics per request; the 500 answer
of last resort."""

from __future__ import annotations

import re
import time

import structlog
from asgi_correlation_id import CorrelationIdMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import handle_unexpected
from ..metrics import Metrics

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

access_log: structlog.typing.FilteringBoundLogger = structlog.get_logger("access")


def is_valid_request_id(value: str) -> bool:
    """Accept a caller's X-Request-ID only when it is short and plain."""
    return REQUEST_ID.match(value) is not None


def _no_sentry_tag(_request_id: str) -> None:
    """error_tracking.py puts the request id on the events it sends."""


class RequestIdMiddleware(CorrelationIdMiddleware):
    """The request id of X-Request-ID, or a new one, in correlation_id and the answer.

    Without the library's Sentry hook, which imports the SDK wherever it is installed
    (even with error tracking off) and tags the SDK's scope on every request.
    """

    def __post_init__(self) -> None:
        self.sentry_extension = _no_sentry_tag


class AccessLogMiddleware:
    """Log one line and record metrics per request; answer unhandled exceptions with a 500."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_and_record(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        except Exception as exc:
            if response_started:
                raise  # too late for an error document; the server closes the connection
            response = handle_unexpected(Request(scope), exc)
            await response(scope, receive, send_and_record)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe(scope, status, seconds)
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
