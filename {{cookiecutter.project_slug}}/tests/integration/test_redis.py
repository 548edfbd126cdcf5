from __future__ import annotations

import pytest
from fastapi import Request
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import text

from {{ cookiecutter.package_name }} import DISTRIBUTION
from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.db.session import SessionDep
from {{ cookiecutter.package_name }}.errors import RedisUnavailableError
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.redis_client import create_redis, redis_key
from {{ cookiecutter.package_name }}.settings import Settings

from ..helpers.clients import running_client
from ..helpers.network import TcpProxy, unreachable_redis_url
from ..helpers.settings import SettingsFactory


async def test_redis_down_makes_ready_503_naming_redis(make_settings: SettingsFactory) -> None:
    settings = make_settings(redis_url=unreachable_redis_url())

    async with running_client(settings) as client:
        ready = await client.get("/health/ready")
        live = await client.get("/health/live")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["checks"] == {backend.NAME: "ok", "redis": "unavailable", "storage": "ok"}
    assert "redis" in ready.json()["detail"]


async def test_route_needing_redis_fails_closed_with_503(make_settings: SettingsFactory) -> None:
    settings = make_settings(redis_url=unreachable_redis_url())
    app = create_app(settings)

    @app.get("/needs-redis")
    async def needs_redis(request: Request) -> dict[str, object]:
        return {"value": await request.app.state.services.redis.get("anything")}

    @app.get("/needs-database-only")
    async def needs_database_only(session: SessionDep) -> int:
        return int(await session.scalar(text("SELECT 1")) or 0)

    async with running_client(settings, app) as client:
        response = await client.get("/needs-redis")
        database_only = await client.get("/needs-database-only")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:problem-type:redis-unavailable"
    assert response.headers["Retry-After"] == "1"
    assert "Traceback" not in response.text
    assert database_only.status_code == 200


def test_keys_default_to_the_service_namespace(database_url: str, redis_url: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url, redis_url=redis_url)

    assert settings.redis_namespace == DISTRIBUTION
    assert redis_key(settings, "cache", "item:7") == f"{DISTRIBUTION}:cache:item:7"


async def test_a_command_whose_answer_is_late_is_sent_once(
    make_settings: SettingsFactory, redis_url: str
) -> None:
    # Redis may run a command whose answer never arrives in time: sending it
    # again would count a login attempt twice or rotate a refresh token twice.
    proxy = TcpProxy(redis_url)
    await proxy.up()
    settings = make_settings(redis_url=proxy.url, redis_socket_timeout=0.3)
    key = redis_key(settings, "counter")
    through_proxy = create_redis(settings)
    direct = create_redis(make_settings())
    try:
        await through_proxy.ping()  # connected before its link stalls
        proxy.stall(new_connections=False)  # that connection is slow, a new one not
        with pytest.raises(RedisUnavailableError) as unavailable:
            await through_proxy.incr(key)
        assert isinstance(unavailable.value.__cause__, RedisTimeoutError)
        proxy.resume()  # what the client sent on the slow connection reaches Redis now
        # The client closed that connection on its timeout: once the proxy has ended
        # it too, Redis has read (and run) everything sent on it.
        await proxy.connections_ended()

        assert await direct.get(key) == b"1"
    finally:
        await through_proxy.aclose()
        await direct.aclose()
        await proxy.down()
