"""Application errors and their RFC 9457 problem+json answers.

Operational errors are expected at run time (a missing row, a busy database) and
are answered with their own status and detail. Programming errors are bugs: they
are logged with their traceback, reported to error tracking (when SENTRY_DSN is
set) and answered with a generic 500, and the process keeps serving.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .error_tracking import report_programming_error

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 1

log: structlog.typing.FilteringBoundLogger = structlog.get_logger(__name__)


class AppError(Exception):
    """Base of every error the service raises on purpose."""

    status: int = HTTPStatus.INTERNAL_SERVER_ERROR
    code: str = "internal-error"
    title: str = "Internal Server Error"
    operational: bool = False

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions
        self.headers: dict[str, str] = {}


class OperationalError(AppError):
    """An expected failure: bad input, missing data, an unavailable dependency."""

    operational = True


class ProgrammingError(AppError):
    """A broken invariant: a bug, answered as a generic 500."""


class UnauthorizedError(OperationalError):
    """Missing, expired or revoked credentials: the caller must (re)authenticate."""

    status = HTTPStatus.UNAUTHORIZED
    code = "not-authenticated"
    title = "Unauthorized"


class TooManyRequestsError(OperationalError):
    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "too-many-requests"
    title = "Too Many Requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["Retry-After"] = str(retry_after)


class NotFoundError(OperationalError):
    status = HTTPStatus.NOT_FOUND
    code = "not-found"
    title = "Not Found"


class ConflictError(OperationalError):
    status = HTTPStatus.CONFLICT
    code = "conflict"
    title = "Conflict"


class InvalidRequestError(OperationalError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid-request"
    title = "Invalid Request"


class RequestTooLargeError(OperationalError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "request-too-large"
    title = "Request Too Large"


class ServiceUnavailableError(OperationalError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "service-unavailable"
    title = "Service Unavailable"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "database-unavailable"
    title = "Database Unavailable"


class PoolExhaustedError(ServiceUnavailableError):
    code = "database-busy"
    title = "Database Busy"


class RedisUnavailableError(ServiceUnavailableError):
    code = "redis-unavailable"
    title = "Redis Unavailable"


class StorageUnavailableError(ServiceUnavailableError):
    code = "storage-unavailable"
    title = "Storage Unavailable"


class Problem(BaseModel):
    """An RFC 9457 problem document: the body of every error answer.

    Extension members follow the standard ones: errors (where a 422's request
    failed the schema), checks (readiness), and the like.
    """

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None


PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "The request breaks the protocol (a malformed header).",
    401: "Missing, invalid, expired or revoked credentials.",
    404: "No such resource among the caller's.",
    409: "The request conflicts with the current state.",
    410: "The resource has expired.",
    412: "A precondition (a protocol version) is not met.",
    413: "The request body or the upload is too large.",
    415: "The upload's type is not accepted.",
    422: "The request does not match the schema; errors lists where.",
    429: "Too many attempts; retry after Retry-After seconds.",
    460: "The body does not match its checksum.",
    500: "The server failed to handle the request.",
    503: "A dependency (database, Redis, storage) is unavailable; retry after Retry-After seconds.",
}
# What any route can answer: a bug, or a dependency down.
SERVER_ERRORS = (500, 503)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for the statuses, each a problem+json document (Problem)."""
    return {
        status: {
            "description": PROBLEM_DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def add_problem_schema(app: FastAPI) -> None:
    """Put Problem in the OpenAPI components, where problem_responses() refers to it."""
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate_openapi()  # built once, then cached on the app
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("Problem", Problem.model_json_schema())
        return document

    # FastAPI's way to extend the document: replace the app's openapi method.
    app.openapi = openapi  # type: ignore[method-assign]


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem document carrying the request id and extension members."""
    body = {
        **(extensions or {}),  # first, so they never replace the standard members
        "type": f"urn:problem-type:{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": correlation_id.get(),
    }
    return JSONResponse(
        jsonable_encoder(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101  # registered for AppError only
    if not exc.operational:
        return handle_unexpected(request, exc)
    if isinstance(exc, ServiceUnavailableError):
        # database_unavailable, database_busy, redis_unavailable, storage_unavailable
        cause = type(exc.__cause__).__name__ if exc.__cause__ else None
        log.warning(exc.code.replace("-", "_"), error=exc.code, exc_type=cause)
        # The Metrics of main.py (not imported: metrics.py imports the adapters, which import this)
        dependency_errors: Counter = request.app.state.metrics.dependency_errors
        dependency_errors.labels(exc.code).inc()
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        detail=exc.detail,
        code=exc.code,
        headers=exc.headers,
        extensions=exc.extensions,
    )


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method some route answers on the request's path, for a 405's Allow.

    The router lists only the methods of the first route on the path.
    """
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # included routers' too
        if route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods.update(route.methods)
    order = {method: index for index, method in enumerate(METHOD_ORDER)}
    return ", ".join(sorted(methods, key=lambda method: (order.get(method, len(order)), method)))


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    if isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI answers a JSON body that is not UTF-8 with a bare 400, and one with a
        # syntax error with a 422: both are malformed JSON, answered alike.
        error = {"type": "json_invalid", "loc": ("body",), "msg": "JSON must be UTF-8 text"}
        return await handle_validation_error(request, RequestValidationError([error]))
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:  # a status code the standard library does not name
        phrase = "Error"
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    headers = exc.headers
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        headers = {**(headers or {}), "Allow": allowed_methods(request)}
    return problem_response(
        request, status=exc.status_code, title=phrase, detail=detail, headers=headers
    )


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    # The rejected input is left out: it may hold a password or a token.
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return problem_response(
        request,
        status=HTTPStatus.UNPROCESSABLE_ENTITY,
        title="Invalid Request",
        detail="The request does not match the expected schema.",
        code=InvalidRequestError.code,
        extensions={"errors": errors},
    )


def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_exception", exc_info=exc, path=request.url.path)
    report_programming_error(exc)
    return problem_response(
        request,
        status=HTTPStatus.INTERNAL_SERVER_ERROR,
        title="Internal Server Error",
        detail="The server failed to handle the request.",
        code=AppError.code,
    )


def register_error_handlers(app: FastAPI) -> None:
    """Answer the service's own errors; the adapters (db, redis, storage) raise them."""
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
