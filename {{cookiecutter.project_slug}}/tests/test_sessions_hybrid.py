"""hybrid: every request checks its session in Redis, so revocation is instant."""

from __future__ import annotations

from httpx import AsyncClient

from .conftest import SettingsFactory
from .support import EMAIL, PASSWORD, log_in, register, running_client, unreachable_redis_url

ME = "/api/v1/users/me"


async def test_logout_refuses_the_very_next_request(client: AsyncClient) -> None:
    await register(client)
    session, other = await log_in(client), await log_in(client)

    before = await client.get(ME, headers=session)
    logout = await client.post("/api/v1/auth/logout", headers=session)
    after = await client.get(ME, headers=session)

    assert before.status_code == 200
    assert logout.status_code == 204
    assert after.status_code == 401
    assert after.json()["type"] == "urn:problem-type:invalid-token"
    assert (await client.get(ME, headers=other)).status_code == 200


async def test_logout_everywhere_ends_every_session_at_once(client: AsyncClient) -> None:
    await register(client)
    sessions = [await log_in(client) for _ in range(3)]

    logout = await client.post("/api/v1/auth/logout-all", headers=sessions[0])

    assert logout.status_code == 204
    assert [(await client.get(ME, headers=s)).status_code for s in sessions] == [401] * 3


async def test_password_change_ends_every_session(client: AsyncClient) -> None:
    await register(client)
    here, elsewhere = await log_in(client), await log_in(client)

    changed = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        headers=here,
    )

    assert changed.status_code == 204
    assert (await client.get(ME, headers=here)).status_code == 401
    assert (await client.get(ME, headers=elsewhere)).status_code == 401


async def test_refresh_token_reuse_ends_the_sessions_access_tokens(client: AsyncClient) -> None:
    await register(client)
    login = await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    stolen = login.json()["refresh_token"]
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})
    access = {"Authorization": f"Bearer {rotated.json()['access_token']}"}

    before = await client.get(ME, headers=access)
    await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})
    after = await client.get(ME, headers=access)

    assert before.status_code == 200
    assert after.status_code == 401


async def test_other_users_sessions_are_untouched(client: AsyncClient) -> None:
    await register(client)
    await register(client, email="bob@example.com")
    ada, bob = await log_in(client), await log_in(client, email="bob@example.com")

    await client.post("/api/v1/auth/logout-all", headers=ada)

    assert (await client.get(ME, headers=bob)).status_code == 200


async def test_redis_down_fails_closed_with_503(make_settings: SettingsFactory) -> None:
    async with running_client(make_settings()) as client:
        await register(client)
        session = await log_in(client)
        refresh_token = (
            await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        ).json()["refresh_token"]

    settings = make_settings(redis_url=unreachable_redis_url())
    async with running_client(settings) as client:
        me = await client.get(ME, headers=session)
        refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
        items = await client.get("/api/v1/items")

    for response in (me, refresh):
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:problem-type:redis-unavailable"
    assert items.status_code == 200
