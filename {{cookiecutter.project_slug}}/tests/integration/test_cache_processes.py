"""Two service processes sharing Redis: coherent reads and one load per cold key."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..helpers.clients import user_session
from ..helpers.processes import service_processes
from ..helpers.settings import SettingsFactory

pytestmark = pytest.mark.processes

STAMPEDE_REQUESTS = 500


async def signed_in_headers(url: str) -> dict[str, str]:
    """Headers of a user's session, started on the service at url (any process accepts it)."""
    async with httpx.AsyncClient(base_url=url) as client:
        return await user_session(client)


@pytest.fixture
def two_services(make_settings: SettingsFactory, tmp_path: Path) -> Iterator[tuple[str, str]]:
    # Waiters that give up after CACHE_LOCK_WAIT make the cache load from the database
    # itself (tested elsewhere). 500 requests on a small, busy test machine can stall an
    # event loop past the default (2 s), so this test gives the lock protocol room (the
    # tests' settings already wait long for Redis).
    settings = make_settings(cache_lock_wait=30, cache_lock_ttl=30)
    with service_processes(settings, tmp_path / "first.log", tmp_path / "second.log") as urls:
        first, second = urls
        yield first, second


async def test_write_through_one_process_is_read_through_the_other(
    two_services: tuple[str, str],
) -> None:
    first, second = two_services
    async with httpx.AsyncClient(headers=await signed_in_headers(first)) as client:
        created = await client.post(f"{first}/api/v1/items", json={"name": "n", "price": "1.00"})
        item = f"/api/v1/items/{created.json()['id']}"
        stale_reads = []
        for round_number in range(20):
            price = f"{round_number + 2}.00"
            # Both processes hold the item in their in-process caches...
            await client.get(f"{first}{item}")
            await client.get(f"{second}{item}")
            # ...one changes it, and the other answers right after the write returns.
            await client.patch(f"{first}{item}", json={"price": price})
            seen = (await client.get(f"{second}{item}")).json()["price"]
            if seen != price:
                stale_reads.append((price, seen))

    assert stale_reads == []


async def item_queries(urls: tuple[str, str]) -> list[int]:
    """How many item rows each service has read from the database so far."""
    async with httpx.AsyncClient() as client:
        return [(await client.get(f"{url}/test/item-queries")).json() for url in urls]


async def test_stampede_over_two_processes_loads_the_cold_key_once(
    two_services: tuple[str, str],
) -> None:
    first, _ = two_services
    headers = await signed_in_headers(first)
    async with httpx.AsyncClient(headers=headers) as client:
        created = await client.post(f"{first}/api/v1/items", json={"name": "n", "price": "1.00"})
        item = f"/api/v1/items/{created.json()['id']}"
    before = await item_queries(two_services)

    # Every request on a connection of its own. None is reused after idling: the service
    # closes idle connections after 5 s (uvicorn's keep-alive timeout), and one it closes
    # just as the client reuses it fails that request.
    limits = httpx.Limits(max_connections=STAMPEDE_REQUESTS, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=60, headers=headers) as client:
        # Every request runs to its end, so a failed one cannot leave sockets behind.
        answers = await asyncio.gather(
            *(
                client.get(f"{two_services[number % 2]}{item}")
                for number in range(STAMPEDE_REQUESTS)
            ),
            return_exceptions=True,
        )
    after = await item_queries(two_services)

    failed = [answer for answer in answers if not isinstance(answer, httpx.Response)]
    assert failed == []
    assert {answer.status_code for answer in answers if isinstance(answer, httpx.Response)} == {200}
    assert sum(after) - sum(before) == 1
