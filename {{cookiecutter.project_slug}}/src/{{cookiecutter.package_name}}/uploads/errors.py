"""Upload errors, answered as problem+json like every AppError."""

from __future__ import annotations

from http import HTTPStatus

from ..errors import OperationalError


class PayloadTooLargeError(OperationalError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "upload-too-large"
    title = "Upload Too Large"


class UnsupportedMediaTypeError(OperationalError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported-upload-type"
    title = "Unsupported Upload Type"
