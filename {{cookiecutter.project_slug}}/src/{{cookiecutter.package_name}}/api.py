"""The HTTP API: every domain router, each declaring its full /api/v1/... prefix.

Full prefixes (rather than a prefix added when including) keep each route's own
path equal to the URL template, which the metrics use as a label.
"""

from __future__ import annotations

from fastapi import APIRouter

from .accounts.router import router as accounts_router
from .items.router import router as items_router
{%- if cookiecutter.session_strategy != "redis" %}
from .sessions.refresh import router as refresh_router
{%- endif %}
from .sessions.router import router as auth_router
from .users.router import router as users_router

api_router = APIRouter()
api_router.include_router(items_router)
api_router.include_router(accounts_router)
api_router.include_router(users_router)
api_router.include_router(auth_router)
{%- if cookiecutter.session_strategy != "redis" %}
api_router.include_router(refresh_router)
{%- endif %}
