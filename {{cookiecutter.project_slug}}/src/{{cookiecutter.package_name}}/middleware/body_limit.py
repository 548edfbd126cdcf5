"""Request bodies over a limit are refused while they are read, never held whole."""

from __future__ import annotations

import contextlib
from collections.abc import Collection

from prometheus_client import Gauge
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import RequestTooLargeError, problem_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class _BodyTooLarge(Exception):
    """Raised into the app when the body passes the limit."""


class BodySizeLimitMiddleware:
    """Answer 413 once a request body passes max_bytes, counting while it is read.

    A Content-Length over the limit is refused before anything is read; a body
    sent without one (chunked) is refused at the first chunk that passes the
    limit, so no request holds more than max_bytes in memory. Paths under
    exempt_paths stream their bodies (the uploads) and enforce their own limit;
    the in_progress gauge counts their requests that send a body while they run.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        exempt_paths: Collection[str],
        in_progress: Gauge,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_paths = tuple(path.rstrip("/") for path in exempt_paths)
        self.in_progress = in_progress

    def is_exempt(self, path: str) -> bool:
        return any(path == exempt or path.startswith(f"{exempt}/") for exempt in self.exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.is_exempt(scope["path"]):
            if scope["method"] in BODY_METHODS:
                with self.in_progress.track_inprogress():
                    await self.app(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        declared, chunked = None, False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.refuse(scope, receive, send)
            return
        if not chunked:
            # No body, or one of a declared length within the limit: the server reads
            # exactly that many bytes (HTTP/1.1 framing), so there is nothing to count.
            await self.app(scope, receive, send)
            return

        received = 0
        too_large = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large and not response_started:
                return  # the app's answer to the failed read; the 413 replaces it
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_BodyTooLarge):  # unless the app handled it
            await self.app(scope, counting_receive, guarded_send)
        if too_large and not response_started:
            await self.refuse(scope, receive, send)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = RequestTooLargeError(f"The request body is larger than {self.max_bytes} bytes.")
        response = problem_response(
            Request(scope),
            status=error.status,
            title=error.title,
            detail=error.detail,
            code=error.code,
            # The rest of the body is not read: the connection cannot carry another request.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
