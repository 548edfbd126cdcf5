"""/docs is served from the service's own files: every asset it names is on this host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from httpx import ASGITransport, AsyncClient

from {{ cookiecutter.package_name }}.main import create_app

from ..helpers.settings import SettingsFactory

# Any absolute URL in the page, quoted or not: none may point elsewhere.
ABSOLUTE_URL = re.compile(r"(?:https?:)?//[\w.-]+")
SPEC_URL = re.compile(r"url: '([^']+)'")


class LinkedUrls(HTMLParser):
    """The src and href attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]


def linked_urls(html: str) -> list[str]:
    parser = LinkedUrls()
    parser.feed(html)
    return parser.urls


async def test_docs_page_loads_every_asset_from_this_host(client: AsyncClient) -> None:
    page = await client.get("/docs")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = linked_urls(page.text)
    assert len(assets) == 3, assets  # the script, the stylesheet, the favicon
    assert ABSOLUTE_URL.findall(page.text) == []
    spec = SPEC_URL.findall(page.text)
    assert spec == ["/openapi.json"]
    for url in [*assets, *spec]:
        assert urlsplit(url).netloc == "", url
        asset = await client.get(urljoin(str(page.url), url))
        assert asset.status_code == 200, url
        assert asset.content, url


async def test_docs_assets_are_the_swagger_ui_files(client: AsyncClient) -> None:
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    stylesheet = await client.get("/docs/assets/swagger-ui.css")

    assert "SwaggerUIBundle" in script.text
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert ".swagger-ui" in stylesheet.text


async def test_docs_page_turns_the_online_validator_badge_off(client: AsyncClient) -> None:
    page = await client.get("/docs")

    assert '"validatorUrl": null' in page.text


async def test_docs_links_keep_a_proxy_path_prefix(make_settings: SettingsFactory) -> None:
    # Served under /orders by a proxy (uvicorn --root-path /orders): the links include it.
    app = create_app(make_settings())
    transport = ASGITransport(app=app, root_path="/orders")
    async with AsyncClient(transport=transport, base_url="https://testserver") as client:
        page = await client.get("/orders/docs")

    assert page.status_code == 200
    assets = linked_urls(page.text)
    assert len(assets) == 3, assets
    assert all(url.startswith("/orders/docs/assets/") for url in assets), assets
    assert SPEC_URL.findall(page.text) == ["/orders/openapi.json"]
