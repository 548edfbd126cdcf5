"""The HTTP API: every domain router, each declaring its full /api/v1/... prefix.

Full prefixes (rather than a prefix added when including) keep each route's own
path equal to the URL template, which the metrics use as a label. The app
includes each router itself: every level of routers included in routers costs
each request a few microseconds of dispatch.
"""

from __future__ import annotations

from fastapi import APIRouter

from .accounts.router import router as accounts_router
from .auth.router import router as auth_router
from .items.router import router as items_router
from .sessions.routes import ROUTERS as SESSION_ROUTERS
from .uploads import strategy as upload_strategy
from .uploads.router import router as uploads_router
from .uploads.routes import router as upload_strategy_router
from .users.router import router as users_router

# The upload strategy's routes first: its fixed paths win over /api/v1/uploads/{upload_id}.
api_routers: list[APIRouter] = [
    items_router,
    accounts_router,
    users_router,
    auth_router,
    *SESSION_ROUTERS,
    upload_strategy_router,
    uploads_router,
]
# Paths whose routes stream their bodies and enforce MAX_UPLOAD_BYTES themselves.
streamed_body_paths: tuple[str, ...] = upload_strategy.STREAMED_BODY_PATHS
# Headers the routes read and send beyond the shared ones, for pages on other origins.
cors_request_headers: tuple[str, ...] = upload_strategy.CORS_REQUEST_HEADERS
cors_exposed_headers: tuple[str, ...] = upload_strategy.CORS_EXPOSED_HEADERS
