from __future__ import annotations

import asyncio

from sqlalchemy import text

from {{ cookiecutter.package_name }}.main import create_app

from ..helpers.clients import database_read, running_client
from ..helpers.settings import SettingsFactory

# Only a guard against a hang: the pool must answer long before this.
HANG_GUARD_SECONDS = 30


async def test_exhausted_pool_answers_503_with_retry_after(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.2)
    app = create_app(settings)
    async with running_client(settings, app) as client:
        probe = await database_read(client)
        async with app.state.services.engine.connect() as held:
            await held.execute(text("SELECT 1"))
            busy = await asyncio.wait_for(client.get(probe), HANG_GUARD_SECONDS)
        freed = await client.get(probe)
        metrics = (await client.get("/metrics")).text

    assert busy.status_code == 503
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["Retry-After"] == "1"
    assert busy.json()["type"] == "urn:problem-type:database-busy"
    assert freed.status_code == 200
    assert 'dependency_errors_total{code="database-busy"} 1.0' in metrics


async def test_requests_beyond_pool_size_wait_for_a_connection(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(db_pool_size=2, db_max_overflow=0, db_pool_timeout=10)
    async with running_client(settings) as client:
        probe = await database_read(client)
        responses = await asyncio.gather(*(client.get(probe) for _ in range(20)))

    assert [response.status_code for response in responses] == [200] * 20
