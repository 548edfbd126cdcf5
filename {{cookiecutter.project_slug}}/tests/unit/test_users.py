"""Registration, login and the caller's account: the same for every session strategy."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from fastapi import Request, Response
from httpx import AsyncClient
from sqlalchemy import select

from {{ cookiecutter.package_name }}.db.engine import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.redis_client import create_redis
from {{ cookiecutter.package_name }}.sessions.strategy import Strategy
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.passwords import Passwords

from ..helpers.clients import EMAIL, PASSWORD

PROBLEM = "application/problem+json"


# Only a guard against a hang: held verifications are released long before this.
HOLD_GUARD_SECONDS = 30


class CountingPasswords(Passwords):
    """The service's own hashing, counting verifications; with hold_until, each waits
    until that many verifications have begun (or the guard passes).
    """

    def __init__(self, settings: Settings, *, hold_until: int = 0) -> None:
        super().__init__(settings)
        self.verifications = 0
        self.hold_until = hold_until
        self._all_begun = asyncio.Event()

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        self.verifications += 1
        if self.verifications >= self.hold_until:
            self._all_begun.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._all_begun.wait(), HOLD_GUARD_SECONDS)
        return await super().verify(password, password_hash)


async def stored_hash(settings: Settings, email: str = EMAIL) -> str:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            password_hash = await session.scalar(
                select(User.password_hash).where(User.email == email)
            )
    finally:
        await engine.dispose()
    assert password_hash is not None
    return password_hash


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (EMAIL, "eleven chrs"),  # shorter than 12
        (EMAIL, "Password1234"),  # on the common list, whatever the case
        (EMAIL, "x" * 129),
        ("not-an-address", PASSWORD),
    ],
    ids=["short", "common", "too-long", "bad-email"],
)
async def test_register_refuses_weak_passwords_and_bad_addresses(
    client: AsyncClient, email: str, password: str
) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert password not in response.text


async def test_account_without_credentials_is_401_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/users/me")

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 401


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada\u0000@example.com", "password": PASSWORD},
        {"email": "ada\ud800@example.com", "password": PASSWORD},
        {"email": EMAIL, "password": "a long passphrase \udfff"},
        {"email": EMAIL, "password": "a long passphrase \u0000"},
    ],
    ids=["nul-email", "surrogate-email", "surrogate-password", "nul-password"],
)
async def test_unstorable_login_and_registration_input_is_422(
    client: AsyncClient, body: dict[str, str]
) -> None:
    # As a client sends them: JSON escapes (\u0000, \ud800), never raw bytes.
    content, headers = json.dumps(body), {"content-type": "application/json"}

    login = await client.post("/api/v1/auth/login", content=content, headers=headers)
    registration = await client.post("/api/v1/auth/register", content=content, headers=headers)

    for answer in (login, registration):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == PROBLEM


def set_cookie_headers(response: Response) -> list[str]:
    return [value.decode() for name, value in response.raw_headers if name == b"set-cookie"]


async def login_cookies(settings: Settings) -> list[str]:
    """The Set-Cookie headers of a login answer, straight from the strategy.

    No app runs: production settings refuse the tests' database on SQLite.
    """
    redis = create_redis(settings)
    try:
        response = Response()
        request = Request({"type": "http", "method": "POST", "headers": []})
        await Strategy(settings, redis).login(request, response, user_id=1)
    finally:
        await redis.aclose()
    return set_cookie_headers(response)
