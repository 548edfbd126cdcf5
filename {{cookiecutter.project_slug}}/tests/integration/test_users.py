"""Registration, login and the caller's account: the same for every session strategy."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import replace

import argon2
import pytest
from fastapi import Request, Response
from httpx import AsyncClient
from sqlalchemy import delete, select

from {{ cookiecutter.package_name }}.db.engine import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.redis_client import create_redis
from {{ cookiecutter.package_name }}.sessions.strategy import Strategy
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.passwords import Passwords

from ..helpers.clients import (
    EMAIL,
    PASSWORD,
    log_in,
    register,
    running_client,
    session_headers,
    signed_in,
)
from ..helpers.network import unreachable_redis_url
from ..helpers.settings import SettingsFactory, production_settings

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


async def test_register_normalises_the_email_and_hides_the_hash(client: AsyncClient) -> None:
    response = await register(client, email="  Ada.Lovelace@Example.COM ")

    body = response.json()
    assert body["email"] == "ada.lovelace@example.com"
    assert set(body) == {"id", "email", "created_at"}


async def test_an_address_registers_once_however_spelled(client: AsyncClient) -> None:
    await register(client, email=EMAIL)

    again = await client.post(
        "/api/v1/auth/register", json={"email": EMAIL.upper(), "password": PASSWORD}
    )

    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM


async def test_login_then_read_own_account(client: AsyncClient) -> None:
    user = (await register(client)).json()
    headers = await log_in(client, email="ADA@example.com ")

    response = await client.get("/api/v1/users/me", headers=headers)

    assert response.status_code == 200
    assert response.json() == user


async def test_unknown_email_and_wrong_password_look_the_same(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(client)
    verified: list[str] = []
    original_verify = argon2.PasswordHasher.verify

    def counting_verify(self: argon2.PasswordHasher, hash: str, password: str) -> bool:
        verified.append(password)
        return original_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    attempts = {
        "wrong password": {"email": EMAIL, "password": "not the password!"},
        "unknown email": {"email": "nobody@example.com", "password": "not the password!"},
    }
    answers = {
        name: await client.post("/api/v1/auth/login", json=body) for name, body in attempts.items()
    }

    wrong, unknown = answers["wrong password"], answers["unknown email"]
    assert wrong.status_code == unknown.status_code == 401
    strip = ("instance", "request_id")
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }
    # Both cost one argon2 verification: an unknown address is checked against a dummy hash.
    assert verified == ["not the password!", "not the password!"]


async def test_login_rehashes_when_hash_parameters_change(
    make_settings: SettingsFactory,
) -> None:
    cheap = make_settings()
    async with running_client(cheap) as client:
        await register(client)
    before = await stored_hash(cheap)

    stronger = make_settings(password_hash_time_cost=2, password_hash_memory_kib=2048)
    async with running_client(stronger) as client:
        await log_in(client)
        await log_in(client)  # the new hash verifies too
    after = await stored_hash(cheap)

    assert "m=1024,t=1" in before
    assert "m=2048,t=2" in after


async def test_failed_logins_per_email_are_limited_with_retry_after(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(login_max_failures_per_email=3, login_failure_window=600)
    async with running_client(settings) as client:
        await register(client)
        wrong = {"email": EMAIL, "password": "not the password!"}
        failures = [await client.post("/api/v1/auth/login", json=wrong) for _ in range(3)]
        limited = await client.post("/api/v1/auth/login", json=wrong)
        right_but_limited = await client.post(
            "/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
        )
        other_email = await client.post(
            "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
        )

    assert [response.status_code for response in failures] == [401, 401, 401]
    for response in (limited, right_but_limited):
        assert response.status_code == 429
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:problem-type:too-many-login-attempts"
        assert 0 < int(response.headers["Retry-After"]) <= 600
    assert other_email.status_code == 401


async def test_failed_logins_per_ip_are_limited_across_emails(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(login_max_failures_per_ip=3)
    async with running_client(settings) as client:
        statuses = [
            (
                await client.post(
                    "/api/v1/auth/login",
                    json={"email": f"user{number}@example.com", "password": PASSWORD},
                )
            ).status_code
            for number in range(4)
        ]

    assert statuses == [401, 401, 401, 429]


async def test_concurrent_guesses_at_one_email_check_at_most_the_limit(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(
        login_max_failures_per_email=5,
        login_max_failures_per_ip=1000,
    )
    app = create_app(settings)
    async with running_client(settings, app) as client:
        await register(client)
        passwords = CountingPasswords(settings)
        app.state.services = replace(app.state.services, passwords=passwords)
        wrong = {"email": EMAIL, "password": "not the password!"}

        answers = await asyncio.gather(
            *(client.post("/api/v1/auth/login", json=wrong) for _ in range(100))
        )

    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {401: 5, 429: 95}, [a.text for a in answers if a.status_code >= 500]
    assert passwords.verifications == 5


async def test_logins_beyond_the_pool_size_hold_no_connection_while_hashing(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(
        db_pool_size=2,
        db_max_overflow=0,
        login_max_failures_per_email=1000,
        login_max_failures_per_ip=1000,
    )
    app = create_app(settings)
    logins = 20
    async with running_client(settings, app) as client:
        await register(client)
        # Every login waits in its verification until all have begun one: only
        # possible if none holds one of the two pooled connections meanwhile.
        passwords = CountingPasswords(settings, hold_until=logins)
        app.state.services = replace(app.state.services, passwords=passwords)
        bodies = [
            {"email": EMAIL, "password": PASSWORD if number % 2 else "not the password!"}
            for number in range(logins)
        ]

        answers = await asyncio.gather(
            *(client.post("/api/v1/auth/login", json=body) for body in bodies)
        )

    assert sorted(answer.status_code for answer in answers) == [200] * 10 + [401] * 10
    assert passwords.verifications == logins


async def test_successful_login_resets_the_email_count(make_settings: SettingsFactory) -> None:
    settings = make_settings(login_max_failures_per_email=2)
    async with running_client(settings) as client:
        await register(client)
        wrong = {"email": EMAIL, "password": "not the password!"}
        await client.post("/api/v1/auth/login", json=wrong)
        await log_in(client)
        after_reset = await client.post("/api/v1/auth/login", json=wrong)
        still_allowed = await client.post("/api/v1/auth/login", json=wrong)

    assert after_reset.status_code == 401
    assert still_allowed.status_code == 401


async def test_change_password_starts_a_new_session_and_says_how_many_ended(
    client: AsyncClient,
) -> None:
    await register(client)
    headers, _elsewhere = await log_in(client), await log_in(client)
    new_password = "another long passphrase"

    wrong_current = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": "not the password!", "new_password": new_password},
        headers=headers,
    )
    changed = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=headers,
    )
    client.cookies.clear()
    me = await client.get("/api/v1/users/me", headers=session_headers(changed))
    old = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})

    assert wrong_current.status_code == 401
    assert changed.status_code == 200, changed.text
    assert changed.json()["sessions_ended"] == 2
    assert me.status_code == 200
    assert old.status_code == 401
    await log_in(client, password=new_password)


async def test_change_password_applies_the_password_rules(client: AsyncClient) -> None:
    await register(client)
    headers = await log_in(client)

    common = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": "Password1234"},
        headers=headers,
    )

    assert common.status_code == 422
    await log_in(client)  # the password did not change


async def test_wrong_current_passwords_count_as_failed_logins(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(login_max_failures_per_email=2)
    async with running_client(settings) as client:
        await register(client)
        headers = await log_in(client)
        guesses = [
            await client.post(
                "/api/v1/users/me/password",
                json={"current_password": f"guess number {n}", "new_password": "a new passphrase"},
                headers=headers,
            )
            for n in range(3)
        ]
        login = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})

    assert [response.status_code for response in guesses] == [401, 401, 429]
    assert guesses[2].json()["type"] == "urn:problem-type:too-many-login-attempts"
    assert login.status_code == 429


async def test_registrations_per_ip_are_limited_with_retry_after(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(registration_max_per_ip=2, registration_window=600)
    async with running_client(settings) as client:
        answers = [
            await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
            for email in (EMAIL, EMAIL, "bob@example.com")  # a taken address counts too
        ]

    assert [response.status_code for response in answers] == [201, 409, 429]
    limited = answers[2]
    assert limited.headers["content-type"] == PROBLEM
    assert limited.json()["type"] == "urn:problem-type:too-many-registrations"
    assert 0 < int(limited.headers["Retry-After"]) <= 600


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


async def test_session_cookies_are_secure_in_production(make_settings: SettingsFactory) -> None:
    production = production_settings(make_settings)
    development = make_settings(app_env="dev", cookie_secure=False)

    secure, plain = await login_cookies(production), await login_cookies(development)

    assert secure
    assert all("; secure" in header.lower() for header in secure)
    assert plain
    assert not any("secure" in header.lower() for header in plain)
    assert all("httponly" in header.lower() for header in secure if "csrf" not in header)


async def test_redis_down_registration_and_login_are_503(
    make_settings: SettingsFactory,
) -> None:
    async with running_client(make_settings()) as client:
        await register(client)

    settings = make_settings(redis_url=unreachable_redis_url())
    async with running_client(settings) as client:
        registered = await client.post(
            "/api/v1/auth/register", json={"email": "bob@example.com", "password": PASSWORD}
        )
        login = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})

    for response in (registered, login):
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:problem-type:redis-unavailable"
        assert response.headers["Retry-After"] == "1"


async def test_a_session_whose_account_is_gone_is_401_problem(
    client: AsyncClient, make_settings: SettingsFactory
) -> None:
    await signed_in(client)
    before = await client.get("/api/v1/users/me")
    engine = create_engine(make_settings())
    try:
        async with engine.begin() as connection:
            await connection.execute(delete(User).where(User.id == before.json()["id"]))
    finally:
        await engine.dispose()

    after = await client.get("/api/v1/users/me")

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.headers["content-type"] == "application/problem+json"
    assert "no longer exists" in after.json()["detail"]
