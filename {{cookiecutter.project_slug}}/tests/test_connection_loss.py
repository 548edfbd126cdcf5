"""The database goes away while the service runs, then comes back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from .conftest import SettingsFactory
from .support import TcpProxy, database_read, running_client


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    """A running TCP proxy in front of the test database."""
    proxy = TcpProxy(database_url)
    await proxy.up()
    yield proxy
    await proxy.down()


async def test_service_recovers_without_restart(
    make_settings: SettingsFactory, proxy: TcpProxy
) -> None:
    settings = make_settings(database_url=proxy.url, db_connect_timeout=1)
    async with running_client(settings) as client:
        probe = await database_read(client)
        before = await client.get(probe)
        await proxy.down()
        ready_down = await client.get("/health/ready")
        request_down = await client.get(probe)
        await proxy.up()
        ready_back = await client.get("/health/ready")
        request_back = await client.get(probe)

    assert before.status_code == 200
    assert ready_down.status_code == 503
    assert request_down.status_code == 503
    assert request_down.json()["type"] == "urn:problem-type:database-unavailable"
    assert ready_back.status_code == 200
    assert request_back.status_code == 200


async def test_idle_connection_cut_off_is_replaced_before_use(
    make_settings: SettingsFactory, proxy: TcpProxy
) -> None:
    settings = make_settings(database_url=proxy.url, db_pool_ping_after_idle=0.05)
    async with running_client(settings) as client:
        probe = await database_read(client)
        before = await client.get(probe)
        # The pooled connection dies while idle, with no request noticing.
        await proxy.down()
        await proxy.up()
        await asyncio.sleep(0.1)
        after = await client.get(probe)

    assert before.status_code == 200
    assert after.status_code == 200


async def test_busy_connection_cut_off_fails_one_request_then_pool_renews(
    make_settings: SettingsFactory, proxy: TcpProxy
) -> None:
    settings = make_settings(database_url=proxy.url, db_pool_ping_after_idle=60)
    async with running_client(settings) as client:
        probe = await database_read(client)
        before = await client.get(probe)
        await proxy.down()
        await proxy.up()
        first = await client.get(probe)
        second = await client.get(probe)

    assert before.status_code == 200
    assert first.status_code == 503
    assert first.json()["type"] == "urn:problem-type:database-unavailable"
    assert second.status_code == 200
