"""Origins and preflight requests of the CORS tests."""

from __future__ import annotations

APP = "https://app.example.com"
ADMIN = "http://localhost:5173"
ELSEWHERE = "https://elsewhere.example.net"
ITEMS = "/api/v1/items"


def preflight_headers(
    origin: str, method: str = "POST", headers: str = "content-type"
) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }
