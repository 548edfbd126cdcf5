"""In-process clients of the service, and signing users up and in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from http.cookies import Morsel, SimpleCookie

from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings


@contextlib.asynccontextmanager
async def running_client(
    settings: Settings, app: FastAPI | None = None
) -> AsyncIterator[AsyncClient]:
    """A client for an app whose lifespan (engine, pool) runs around the block.

    Requests arrive as HTTPS, as behind a TLS-terminating proxy: Secure cookies
    come back like in production.
    """
    app = app or create_app(settings)
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with AsyncClient(transport=transport, base_url="https://testserver") as client:
            yield client


async def database_read(client: AsyncClient) -> str:
    """The path of a read that queries the database on every request (no cache).

    The client is signed in as a user (see signed_in) to open the account it reads.
    """
    await signed_in(client)
    created = await client.post("/api/v1/accounts", json={"balance": "1.00"})
    created.raise_for_status()
    return f"/api/v1/accounts/{created.json()['id']}"


PASSWORD = "a long passphrase, 42"  # a test user's
EMAIL = "ada@example.com"


async def register(client: AsyncClient, email: str = EMAIL, password: str = PASSWORD) -> Response:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password}
    )
    assert response.status_code == 201, response.text
    return response


async def log_in(
    client: AsyncClient, email: str = EMAIL, password: str = PASSWORD
) -> dict[str, str]:
    """Log in; the headers that authenticate later requests as this session.

    Whatever the strategy: a bearer token, or the session cookie and its CSRF
    token. The client's cookie jar is emptied, so each session is used explicitly.
    """
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return session_headers(response)


async def user_session(
    client: AsyncClient, email: str = EMAIL, password: str = PASSWORD
) -> dict[str, str]:
    """Log in as a user, registered unless an earlier client of the same test did;
    the headers that authenticate later requests (see log_in).
    """
    registered = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password}
    )
    assert registered.status_code in (201, 409), registered.text
    return await log_in(client, email, password)


async def signed_in(
    client: AsyncClient, email: str = EMAIL, password: str = PASSWORD
) -> AsyncClient:
    """The client, sending a user's session with every request from now on."""
    client.headers.update(await user_session(client, email, password))
    return client


@contextlib.asynccontextmanager
async def running_user_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    """running_client, signed in as a user (see signed_in)."""
    async with running_client(settings) as client:
        yield await signed_in(client)


def session_headers(login: Response) -> dict[str, str]:
    body = login.json()
    if "access_token" in body:
        return {"Authorization": f"Bearer {body['access_token']}"}
    return {"Cookie": f"session={login.cookies['session']}", "X-CSRF-Token": body["csrf_token"]}


def set_cookies(response: Response) -> dict[str, Morsel[str]]:
    """The cookies a response sets, by name, with their attributes."""
    cookies: dict[str, Morsel[str]] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        cookies.update(parsed)
    return cookies
