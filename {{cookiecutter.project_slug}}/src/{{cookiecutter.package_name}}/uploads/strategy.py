"""The upload strategy this service was generated with: the one place that names it.

Its routes are named apart, in uploads/routes.py: they reach the settings this
module's StrategySettings joins, which must not import them back.
"""

from . import strategies
from .base import UploadStrategy
from .strategies.{{ cookiecutter.upload_strategy }} import (
    BUCKET_CORS_METHODS,
    CORS_EXPOSED_HEADERS,
    CORS_REQUEST_HEADERS,
    STREAMED_BODY_PATHS,
    StrategySettings,
    discard,
)

__all__ = [
    "BUCKET_CORS_METHODS",
    "CORS_EXPOSED_HEADERS",
    "CORS_REQUEST_HEADERS",
    "STREAMED_BODY_PATHS",
    "StrategySettings",
    "discard",
]

# Type-checked: the strategy provides everything the interface names.
_IMPLEMENTS_INTERFACE: UploadStrategy = strategies.{{ cookiecutter.upload_strategy }}
