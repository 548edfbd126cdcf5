"""Serving cached JSON over HTTP: ETag and If-None-Match."""

from __future__ import annotations

from typing import Any

from fastapi import Response, status

from .entry import Cached

# The header the routes read themselves, documented in the OpenAPI schema.
IF_NONE_MATCH: dict[str, Any] = {
    "parameters": [
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "ETag of the copy the client has; 304 if it is current.",
        }
    ]
}


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison against a list of entity tags (or "*")."""
    candidates = (tag.strip() for tag in if_none_match.split(","))
    return any(tag in {"*", etag, f"W/{etag}"} for tag in candidates)


def cached_response(cached: Cached[Any], if_none_match: str | None) -> Response:
    """The cached body as it was stored, or 304 when the client has it already."""
    # no-cache: clients may keep the body but must ask again, with If-None-Match.
    headers = {"ETag": cached.etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and etag_matches(if_none_match, cached.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(cached.body, media_type="application/json", headers=headers)
