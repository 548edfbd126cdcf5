"""jwt: access tokens are checked by signature alone; refresh tokens live in Redis."""

from __future__ import annotations

from httpx import AsyncClient

from .conftest import SettingsFactory
from .support import EMAIL, PASSWORD, log_in, register, running_client, unreachable_redis_url

ME = "/api/v1/users/me"


async def test_access_tokens_outlive_logout_until_they_expire(client: AsyncClient) -> None:
    await register(client)
    session = await log_in(client)

    logout = await client.post("/api/v1/auth/logout", headers=session)
    after = await client.get(ME, headers=session)

    # The documented price of stateless tokens: logout ends the refresh token
    # (tests/test_tokens.py); an access token stays valid for ACCESS_TOKEN_TTL.
    assert logout.status_code == 204
    assert after.status_code == 200


async def test_redis_down_reads_with_access_token_still_work(
    make_settings: SettingsFactory,
) -> None:
    async with running_client(make_settings()) as client:
        await register(client)
        session = await log_in(client)
        refresh_token = (
            await client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        ).json()["refresh_token"]

    async with running_client(make_settings(redis_url=unreachable_redis_url())) as client:
        me = await client.get(ME, headers=session)
        refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
        logout = await client.post("/api/v1/auth/logout", headers=session)

    assert me.status_code == 200
    assert me.json()["email"] == EMAIL
    for response in (refresh, logout):  # these need Redis: fail closed
        assert response.status_code == 503
        assert response.json()["type"] == "urn:problem-type:redis-unavailable"
