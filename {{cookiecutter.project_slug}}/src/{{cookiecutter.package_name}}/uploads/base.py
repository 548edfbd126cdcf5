"""What every upload strategy's definition provides; uploads/strategy.py names the chosen
one, uploads/routes.py its routes (under /api/v1/uploads, before the shared ones)."""

from __future__ import annotations

from typing import Protocol

from .service import Discard
from .settings import UploadSettings


class UploadStrategy(Protocol):
    """An upload strategy's definition module: its settings, what its routes need of the
    middleware and the bucket, and how an upload of its making is removed."""

    @property
    def StrategySettings(self) -> type[UploadSettings]:  # a module's class
        """The upload settings, with the strategy's own; joined into Settings."""
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
    def BUCKET_CORS_METHODS(self) -> tuple[str, ...]:  # a module constant
        """What pages on S3_CORS_ORIGINS may send to the bucket (cli.prepare_bucket)."""
        ...

    @property
    def discard(self) -> Discard:
        """Remove an upload: its record, then all the bucket holds of it (service.discard,
        or the strategy's own where it keeps more)."""
        ...
