"""The versioned HTTP API: every domain router under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from .accounts.router import router as accounts_router
from .items.router import router as items_router

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(items_router)
api_router.include_router(accounts_router)
