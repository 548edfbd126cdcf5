from __future__ import annotations

import re

from ..helpers.clients import running_user_client
from ..helpers.settings import SettingsFactory


def sample(metrics: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    assert match, f"{name} missing from /metrics"
    return float(match.group(1))


async def test_metrics_expose_pool_gauges_and_requests(make_settings: SettingsFactory) -> None:
    async with running_user_client(make_settings(db_pool_size=3)) as client:
        await client.get("/api/v1/items/1")
        await client.get("/api/v1/items/2")
        metrics = (await client.get("/metrics")).text

    assert sample(metrics, "db_pool_size") == 3
    assert sample(metrics, "db_pool_checked_out") == 0
    assert sample(metrics, "db_pool_idle") == 1
    assert "db_pool_overflow" in metrics
    assert (
        'http_requests_total{method="GET",route="/api/v1/items/{item_id}",status="404"} 2.0'
        in metrics
    )
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET"' in metrics
