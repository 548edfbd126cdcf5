"""What every upload strategy module provides; uploads/strategy.py names the chosen one."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter

from .service import Discard


class UploadStrategy(Protocol):
    """An upload strategy module: the routes it adds under /api/v1/uploads, and how an
    upload of its making is removed (the cleanup command's, for uploads never finished)."""

    @property
    def router(self) -> APIRouter:
        """Its routes; included before the shared GET /api/v1/uploads/{upload_id}."""
        ...

    @property
    def STREAMED_BODY_PATHS(self) -> tuple[str, ...]:  # a module constant
        """Paths whose routes read their bodies as streams and enforce MAX_UPLOAD_BYTES."""
        ...

    @property
    def CORS_REQUEST_HEADERS(self) -> tuple[str, ...]:  # a module constant
        """Request headers its routes read, for pages on other origins (CORS_ORIGINS)."""
        ...

    @property
    def CORS_EXPOSED_HEADERS(self) -> tuple[str, ...]:  # a module constant
        """Answer headers its routes send that such pages' scripts may read."""
        ...

    @property
    def discard(self) -> Discard:
        """Remove an upload: its record, then all the bucket holds of it (service.discard,
        or the strategy's own where it keeps more)."""
        ...
