"""Application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib import metadata

from fastapi import FastAPI

from . import DISTRIBUTION
from .api import api_routers, streamed_body_paths
from .auth.login_attempts import LoginAttempts
from .cache import create_cache
from .db.engine import create_engine, create_sessionmaker
from .docs import add_api_docs
from .errors import add_problem_schema, register_error_handlers
from .health import router as health_router
from .logs import configure_logging
from .metrics import Metrics
from .middleware import add_middleware
from .redis_client import create_redis
from .sessions.strategy import Strategy
from .settings import Settings, get_settings
from .uploads.storage import create_storage
from .users.passwords import Passwords


def installed_version_and_summary() -> tuple[str, str]:
    """Version and description from pyproject.toml, as installed (uv sync, the image)."""
    try:
        installed = metadata.metadata(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # imported from a source tree
        return "0.0.0", ""
    summaries = installed.get_all("Summary") or [""]
    return installed["Version"], str(summaries[0])


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; settings default to the environment."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        pool_collector = metrics.watch_pool(engine)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.redis = create_redis(settings)
        app.state.sessions = Strategy(settings, app.state.redis)
        app.state.login_attempts = LoginAttempts(settings, app.state.redis)
        app.state.passwords = Passwords(settings)
        app.state.cache = create_cache(settings, metrics.cache)
        await app.state.cache.start()
        storage = AsyncExitStack()
        app.state.storage = await storage.enter_async_context(create_storage(settings))
        # What start-up built lives as long as the process: moved out of the
        # collector's reach, it no longer lengthens every full collection. Once per
        # process: a full collection of a large heap costs a noticeable moment.
        if not gc.get_freeze_count():
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            metrics.registry.unregister(pool_collector)
            await app.state.cache.close()
            await app.state.redis.aclose()
            await storage.aclose()
            await engine.dispose()

    public_docs = settings.app_env != "prod"
    version, summary = installed_version_and_summary()
    app = FastAPI(
        title=settings.service_name,
        version=version,
        description=summary,
        lifespan=lifespan,
        docs_url=None,  # served from local files by add_api_docs, below
        openapi_url="/openapi.json" if public_docs else None,
        redoc_url=None,
    )
    if app.openapi_url:
        add_api_docs(app, openapi_url=app.openapi_url)
    app.state.settings = settings
    app.state.metrics = metrics
    register_error_handlers(app)
    add_problem_schema(app)
    app.include_router(health_router)
    for router in api_routers:
        app.include_router(router)
    add_middleware(app, settings, metrics, streamed_body_paths=streamed_body_paths)
    return app
