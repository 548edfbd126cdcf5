"""Headers that keep browsers from sniffing, framing or leaking API responses."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Browsers remember HSTS this long (one year, in seconds).
HSTS_MAX_AGE = 365 * 24 * 3600
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# Pages that set a policy of their own (the Swagger UI) keep it.
FRAME_POLICY = (b"content-security-policy", b"frame-ancestors 'none'")
HSTS = (b"strict-transport-security", f"max-age={HSTS_MAX_AGE}".encode())


class SecurityHeadersMiddleware:
    """Headers that keep browsers from sniffing, framing or leaking API responses.

    HSTS goes only on HTTPS requests (as seen behind a trusted TLS proxy): over
    plain HTTP it would mean nothing, and on a development host it would stick.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        add_hsts = self.hsts and scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [header for header in SECURITY_HEADERS if header[0] not in names]
                if FRAME_POLICY[0] not in names:
                    extra.append(FRAME_POLICY)
                if add_hsts:
                    extra.append(HSTS)
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
