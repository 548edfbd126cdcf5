"""Helpers every database backend shares."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError


def parse_url(url: str | URL, *, accepted: Collection[str], expected: str) -> URL:
    """Parse url, refusing any scheme not in accepted with a message naming the expected one."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        msg = "DATABASE_URL is not a database URL"
        raise ValueError(msg) from exc
    if parsed.drivername not in accepted:
        msg = f"DATABASE_URL must be a {expected} URL, not {parsed.drivername}://"
        raise ValueError(msg)
    return parsed
