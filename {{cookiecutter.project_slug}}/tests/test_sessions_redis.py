"""redis: an opaque session cookie, the session in Redis, CSRF tokens for unsafe requests."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from redis.asyncio import Redis

from {{ cookiecutter.package_name }}.redis_client import create_redis, redis_key
from {{ cookiecutter.package_name }}.sessions.base import digest

from .conftest import SettingsFactory
from .support import (
    EMAIL,
    PASSWORD,
    log_in,
    register,
    running_client,
    set_cookies,
    unreachable_redis_url,
)

ME = "/api/v1/users/me"
LOGIN = {"email": EMAIL, "password": PASSWORD}


def cookie_of(headers: dict[str, str]) -> str:
    return headers["Cookie"].removeprefix("session=")


@pytest.fixture
async def redis(make_settings: SettingsFactory) -> AsyncIterator[Redis]:
    """A client of the test's Redis namespace (redis_key with make_settings())."""
    client = create_redis(make_settings())
    yield client
    await client.aclose()


async def test_login_sets_http_only_secure_lax_cookies(client: AsyncClient) -> None:
    await register(client)

    response = await client.post("/api/v1/auth/login", json=LOGIN)

    cookies = set_cookies(response)
    session, csrf = cookies["session"], cookies["csrf_token"]
    assert len(session.value) >= 43  # 32 random bytes, base64
    assert session["httponly"] is True
    assert csrf["httponly"] == ""  # the site's own scripts read it
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["samesite"] == "lax"
        assert cookie["path"] == "/"
        assert int(cookie["max-age"]) == 7 * 24 * 3600
    assert csrf.value == response.json()["csrf_token"]
    assert response.json()["expires_in"] == 24 * 3600


async def test_redis_keeps_only_a_hash_of_the_session_id(
    client: AsyncClient, make_settings: SettingsFactory, redis: Redis
) -> None:
    settings = make_settings()
    await register(client)
    session = cookie_of(await log_in(client))

    pattern = redis_key(settings, "session", "*")
    keys = [key.decode() async for key in redis.scan_iter(match=pattern)]

    assert keys == [redis_key(settings, "session", digest(session))]
    assert all(session not in key for key in keys)


async def test_every_login_gets_a_new_session_id_and_ends_the_one_it_came_with(
    client: AsyncClient,
) -> None:
    await register(client)
    planted = await log_in(client)

    again = await client.post("/api/v1/auth/login", json=LOGIN, headers=planted)

    assert again.status_code == 200
    assert again.cookies["session"] != cookie_of(planted)
    assert (await client.get(ME, headers=planted)).status_code == 401


async def test_cookie_session_reads_the_account(client: AsyncClient) -> None:
    await register(client)
    await client.post("/api/v1/auth/login", json=LOGIN)  # the cookie jar keeps the cookie

    response = await client.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == EMAIL


async def test_unsafe_requests_need_the_csrf_token(client: AsyncClient) -> None:
    await register(client)
    session = await log_in(client)
    cookie_only = {"Cookie": session["Cookie"]}

    missing = await client.post("/api/v1/auth/logout", headers=cookie_only)
    wrong = await client.post(
        "/api/v1/auth/logout", headers=cookie_only | {"X-CSRF-Token": "guessed"}
    )
    read = await client.get(ME, headers=cookie_only)  # safe methods need none
    right = await client.post("/api/v1/auth/logout", headers=session)

    for refused in (missing, wrong):
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:problem-type:csrf-failed"
    assert read.status_code == 200
    assert right.status_code == 204


async def test_csrf_token_of_another_session_is_refused(client: AsyncClient) -> None:
    await register(client)
    mine, other = await log_in(client), await log_in(client)

    response = await client.post(
        "/api/v1/auth/logout",
        headers={"Cookie": mine["Cookie"], "X-CSRF-Token": other["X-CSRF-Token"]},
    )

    assert response.status_code == 403


async def test_logout_ends_the_session_at_once_and_clears_cookies(client: AsyncClient) -> None:
    await register(client)
    session, other = await log_in(client), await log_in(client)

    logout = await client.post("/api/v1/auth/logout", headers=session)

    cleared = set_cookies(logout)
    assert logout.status_code == 204
    assert int(cleared["session"]["max-age"]) == 0
    assert int(cleared["csrf_token"]["max-age"]) == 0
    assert (await client.get(ME, headers=session)).status_code == 401
    assert (await client.get(ME, headers=other)).status_code == 200


async def test_logout_everywhere_and_password_change_end_every_session(
    client: AsyncClient,
) -> None:
    await register(client)
    first = [await log_in(client) for _ in range(2)]
    await client.post("/api/v1/auth/logout-all", headers=first[0])
    second = [await log_in(client) for _ in range(2)]
    await client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=second[0],
    )

    statuses = [(await client.get(ME, headers=s)).status_code for s in first + second]
    assert statuses == [401] * 4


async def test_expiry_slides_with_each_request(
    client: AsyncClient, make_settings: SettingsFactory, redis: Redis
) -> None:
    await register(client)
    session = await log_in(client)
    key = redis_key(make_settings(), "session", digest(cookie_of(session)))

    await redis.expire(key, 5)
    await client.get(ME, headers=session)

    assert 24 * 3600 - 5 <= await redis.ttl(key) <= 24 * 3600


async def test_sessions_end_at_their_maximum_age(
    client: AsyncClient, make_settings: SettingsFactory, redis: Redis
) -> None:
    settings = make_settings()
    await register(client)
    session = await log_in(client)
    key = redis_key(settings, "session", digest(cookie_of(session)))
    logged_in_long_ago = int(time.time()) - settings.session_max_age - 1

    await redis.hset(key, "created_at", str(logged_in_long_ago))
    response = await client.get(ME, headers=session)

    assert response.status_code == 401
    assert await redis.exists(key) == 0


async def test_redis_down_fails_closed_with_503(make_settings: SettingsFactory) -> None:
    async with running_client(make_settings()) as client:
        await register(client)
        session = await log_in(client)

    async with running_client(make_settings(redis_url=unreachable_redis_url())) as client:
        me = await client.get(ME, headers=session)
        items = await client.get("/api/v1/items")

    assert me.status_code == 503
    assert me.headers["content-type"] == "application/problem+json"
    assert me.json()["type"] == "urn:problem-type:redis-unavailable"
    assert items.status_code == 200
