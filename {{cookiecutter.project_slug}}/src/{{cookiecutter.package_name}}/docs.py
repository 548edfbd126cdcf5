"""Interactive API docs (Swagger UI) from files installed with the service: no CDN, so /docs
works on a machine or network without internet access."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
# Swagger UI's bundle, stylesheet and favicon, as the fastapi-offline package ships them.
ASSETS_DIR = resources.files("fastapi_offline") / "static"


def add_api_docs(app: FastAPI, *, openapi_url: str) -> None:
    """Serve Swagger UI at /docs and its assets under /docs/assets."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS_DIR)), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        # Behind a proxy that strips a path prefix, the page's links keep it.
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # Otherwise Swagger UI loads a badge from validator.swagger.io, sending it the URL.
            swagger_ui_parameters={"validatorUrl": None},
        )
