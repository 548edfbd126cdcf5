"""Which Redis the settings name (one node, Sentinel, Cluster), and the client built for it."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.redis_client import (
    BlockingSentinelConnectionPool,
    ServiceRedis,
    ServiceRedisCluster,
    create_redis,
)

from ..helpers.settings import SettingsFactory

SENTINELS = "10.0.0.5:26379, sentinel-2:26379,[::1]:26380"


def test_sentinel_and_cluster_together_are_refused(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError, match="REDIS_SENTINELS or REDIS_CLUSTER=true, not both"):
        make_settings(redis_url=None, redis_sentinels=SENTINELS, redis_cluster=True)


def test_sentinels_with_a_redis_url_are_refused(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError, match="the sentinels name the master: unset REDIS_URL"):
        make_settings(redis_sentinels=SENTINELS)


def test_no_redis_at_all_is_refused(make_settings: SettingsFactory) -> None:
    refused = "set REDIS_URL (one node, or a node of a cluster) or REDIS_SENTINELS"
    with pytest.raises(ValidationError, match=re.escape(refused)):
        make_settings(redis_url=None)


@pytest.mark.parametrize("entry", ["sentinel-1", "sentinel-1:port", ":26379", "host:70000"])
def test_a_sentinel_that_is_not_host_and_port_is_refused(
    make_settings: SettingsFactory, entry: str
) -> None:
    refused = f"REDIS_SENTINELS: '{entry}' is not host:port"
    with pytest.raises(ValidationError, match=re.escape(refused)):
        make_settings(redis_url=None, redis_sentinels=f"10.0.0.5:26379,{entry}")


def test_sentinels_are_read_as_hosts_and_ports(make_settings: SettingsFactory) -> None:
    settings = make_settings(redis_url=None, redis_sentinels=SENTINELS)

    assert settings.sentinel_addresses() == [
        ("10.0.0.5", 26379),
        ("sentinel-2", 26379),
        ("::1", 26380),
    ]


async def test_sentinel_settings_make_a_client_of_the_master_they_name(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(
        redis_url=None, redis_sentinels=SENTINELS, redis_sentinel_master="orders"
    )

    client = create_redis(settings)
    try:
        assert isinstance(client, ServiceRedis)
        pool = client.connection_pool
        assert isinstance(pool, BlockingSentinelConnectionPool)
        assert pool.service_name == "orders"
        assert pool.max_connections == settings.redis_max_connections
        assert client.sentinels is not None
        assert len(client.sentinels.sentinels) == len(settings.sentinel_addresses())
    finally:
        await client.aclose()


async def test_cluster_settings_make_a_cluster_client(make_settings: SettingsFactory) -> None:
    client = create_redis(make_settings(redis_cluster=True))
    try:
        assert isinstance(client, ServiceRedisCluster)
    finally:
        await client.aclose()
