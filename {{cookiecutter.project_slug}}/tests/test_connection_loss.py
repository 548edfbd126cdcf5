"""The database goes away while the service runs, then comes back."""

from __future__ import annotations

from sqlalchemy import make_url

from .conftest import SettingsFactory
from .support import TcpProxy, running_client


async def test_service_recovers_without_restart(
    make_settings: SettingsFactory, database_url: str
) -> None:
    url = make_url(database_url)
    proxy = TcpProxy(url)
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    await proxy.up()
    try:
        settings = make_settings(database_url=through_proxy, db_connect_timeout=1)
        async with running_client(settings) as client:
            before = await client.get("/api/v1/items")
            await proxy.down()
            ready_down = await client.get("/health/ready")
            request_down = await client.get("/api/v1/items")
            await proxy.up()
            ready_back = await client.get("/health/ready")
            request_back = await client.get("/api/v1/items")
    finally:
        await proxy.down()

    assert before.status_code == 200
    assert ready_down.status_code == 503
    assert request_down.status_code == 503
    assert request_down.json()["type"] == "urn:problem-type:database-unavailable"
    assert ready_back.status_code == 200
    assert request_back.status_code == 200
