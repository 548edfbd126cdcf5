"""Headers that keep browsers from sniffing, framing or leaking API responses."""

from __future__ import annotations

from collections.abc import Sequence

# Browsers remember HSTS this long (one year, in seconds).
HSTS_MAX_AGE = 365 * 24 * 3600
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    # Pages that set a policy of their own (the Swagger UI) keep it.
    (b"content-security-policy", b"frame-ancestors 'none'"),
)
HSTS = (b"strict-transport-security", f"max-age={HSTS_MAX_AGE}".encode())
SECURITY_HEADER_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


def with_security_headers(
    headers: Sequence[tuple[bytes, bytes]], *, hsts: bool
) -> list[tuple[bytes, bytes]]:
    """The answer's headers plus the security headers it does not set itself.

    HSTS only when asked (HTTPS requests, as seen behind a trusted TLS proxy): over
    plain HTTP it would mean nothing, and on a development host it would stick.
    """
    own = {name.lower() for name, _ in headers} & SECURITY_HEADER_NAMES
    extra = [header for header in SECURITY_HEADERS if header[0] not in own]
    if hsts:
        extra.append(HSTS)
    return [*headers, *extra]
