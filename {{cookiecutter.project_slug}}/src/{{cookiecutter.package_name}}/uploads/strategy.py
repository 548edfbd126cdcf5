"""The upload strategy this service was generated with: the one place that names it."""

from . import {{ cookiecutter.upload_strategy }} as _chosen
from .base import UploadStrategy
from .{{ cookiecutter.upload_strategy }} import (
    CORS_EXPOSED_HEADERS,
    CORS_REQUEST_HEADERS,
    STREAMED_BODY_PATHS,
    discard,
    router,
)

__all__ = [
    "CORS_EXPOSED_HEADERS",
    "CORS_REQUEST_HEADERS",
    "STREAMED_BODY_PATHS",
    "discard",
    "router",
]

# Type-checked: the strategy provides everything the interface names.
_IMPLEMENTS_INTERFACE: UploadStrategy = _chosen
