"""The HTTP API: every domain router, each declaring its full /api/v1/... prefix.

Full prefixes (rather than a prefix added when including) keep each route's own
path equal to the URL template, which the metrics use as a label.
"""

from __future__ import annotations

from fastapi import APIRouter

from .accounts.router import router as accounts_router
from .items.router import router as items_router
from .uploads import {{ cookiecutter.upload_strategy }} as upload_strategy
from .uploads.router import router as uploads_router

api_router = APIRouter()
api_router.include_router(items_router)
api_router.include_router(accounts_router)
# The strategy's routes first: its fixed paths win over /api/v1/uploads/{upload_id}.
api_router.include_router(upload_strategy.router)
api_router.include_router(uploads_router)
