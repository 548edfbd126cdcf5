"""The session routes: logout for every strategy, and the routes the chosen one adds."""

from fastapi import APIRouter

{% if cookiecutter.session_strategy in ['jwt', 'hybrid'] -%}
from .refresh import router as refresh_router
{% endif -%}
from .router import router
{% if cookiecutter.session_strategy in ['jwt', 'hybrid'] %}
# The token strategies exchange refresh tokens at /api/v1/auth/refresh.
ROUTERS: tuple[APIRouter, ...] = (router, refresh_router)
{%- else %}
ROUTERS: tuple[APIRouter, ...] = (router,)
{%- endif %}
