"""Application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from fastapi import FastAPI

from . import DISTRIBUTION
from .api import api_routers, cors_exposed_headers, cors_request_headers, streamed_body_paths
from .docs import add_api_docs
from .error_tracking import configure_error_tracking
from .errors import add_problem_schema, register_error_handlers
from .health import router as health_router
from .logs import configure_logging
from .metrics import Metrics
from .middleware import add_middleware
from .server import Lifecycle
from .services import open_services
from .settings import Settings, get_settings
from .tracing import start_tracing


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
    version, summary = installed_version_and_summary()
    tracing = start_tracing(service_name=settings.service_name, version=version)
    configure_logging(settings, tracing.log_processors if tracing else ())
    configure_error_tracking(settings, release=f"{DISTRIBUTION}@{version}")
    metrics = Metrics(tracing.exemplar if tracing else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(settings, metrics) as services:
            app.state.services = services
            if tracing:
                tracing.instrument_engine(services.engine)
            # What start-up built lives as long as the process: moved out of the
            # collector's reach, it no longer lengthens every full collection. Once per
            # process: a full collection of a large heap costs a noticeable moment.
            if not gc.get_freeze_count():
                gc.collect()
                gc.freeze()
            yield
        if tracing:
            await tracing.shutdown()  # the last spans exported before the process ends

    public_docs = not settings.is_production
    app = FastAPI(
        title=settings.service_name,
        version=version,
        description=summary,
        lifespan=lifespan,
        docs_url=None,  # served from local files by add_api_docs, below
        openapi_url="/openapi.json" if public_docs else None,
        redoc_url=None,
    )
    app.state.metrics = metrics  # the error handlers count dependency failures in it
    app.state.lifecycle = Lifecycle()  # the server flags it draining on SIGTERM
    if app.openapi_url:
        add_api_docs(app, openapi_url=app.openapi_url)
    register_error_handlers(app)
    add_problem_schema(app)
    app.include_router(health_router)
    for router in api_routers:
        app.include_router(router)
    add_middleware(
        app,
        settings,
        metrics,
        streamed_body_paths=streamed_body_paths,
        cors_request_headers=cors_request_headers,
        cors_exposed_headers=cors_exposed_headers,
    )
    if tracing:
        tracing.instrument_app(app)
    return app
