"""The upload strategy this service was generated with: the one place that names it."""

from . import {{ cookiecutter.upload_strategy }} as _chosen
from .base import UploadStrategy
from .{{ cookiecutter.upload_strategy }} import STREAMED_BODY_PATHS, discard, router

__all__ = ["STREAMED_BODY_PATHS", "discard", "router"]

# Type-checked: the strategy provides everything the interface names.
_IMPLEMENTS_INTERFACE: UploadStrategy = _chosen
