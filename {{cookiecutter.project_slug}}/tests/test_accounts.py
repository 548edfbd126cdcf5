from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from httpx import AsyncClient, Response

from .conftest import SettingsFactory
from .support import running_client


async def open_account(client: AsyncClient, balance: str, owner: str = "Ada") -> int:
    response = await client.post("/api/v1/accounts", json={"owner": owner, "balance": balance})
    assert response.status_code == 201, response.text
    account_id: int = response.json()["id"]
    return account_id


async def balance(client: AsyncClient, account_id: int) -> Decimal:
    return Decimal((await client.get(f"/api/v1/accounts/{account_id}")).json()["balance"])


async def transfer(client: AsyncClient, from_id: int, to_id: int, amount: str) -> Response:
    body: dict[str, Any] = {"from_id": from_id, "to_id": to_id, "amount": amount}
    return await client.post("/api/v1/accounts/transfer", json=body)


async def test_transfer_moves_money(client: AsyncClient) -> None:
    source = await open_account(client, "100.00")
    target = await open_account(client, "5.00")

    response = await transfer(client, source, target, "30.25")

    assert response.status_code == 200
    assert response.json()["from_account"]["balance"] == "69.75"
    assert response.json()["to_account"]["balance"] == "35.25"
    assert await balance(client, source) == Decimal("69.75")
    assert await balance(client, target) == Decimal("35.25")


async def test_overdraft_is_409_and_changes_nothing(client: AsyncClient) -> None:
    source = await open_account(client, "10.00")
    target = await open_account(client, "0")

    response = await transfer(client, source, target, "10.01")

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:problem-type:insufficient-funds"
    assert await balance(client, source) == Decimal("10.00")
    assert await balance(client, target) == Decimal("0.00")


async def test_unknown_account_is_404_and_changes_nothing(client: AsyncClient) -> None:
    source = await open_account(client, "10.00")

    response = await transfer(client, source, 2_000_000_000, "1.00")

    assert response.status_code == 404
    assert response.json()["account_id"] == 2_000_000_000
    assert await balance(client, source) == Decimal("10.00")


async def test_invalid_transfers_are_422(client: AsyncClient) -> None:
    source = await open_account(client, "10.00")
    target = await open_account(client, "10.00")
    for amount in ("0", "-5.00", "1.001", "lots"):
        response = await transfer(client, source, target, amount)
        assert response.status_code == 422, amount
    assert (await transfer(client, source, source, "1.00")).status_code == 422


async def test_concurrent_transfers_both_ways_conserve_totals(
    make_settings: SettingsFactory,
) -> None:
    # A generous pool timeout: this test is about locking, not about load shedding.
    async with running_client(make_settings(db_pool_timeout=30)) as client:
        first = await open_account(client, "1000.00")
        second = await open_account(client, "1000.00")

        responses = await asyncio.gather(
            *(transfer(client, first, second, "7.00") for _ in range(50)),
            *(transfer(client, second, first, "3.00") for _ in range(50)),
        )

        assert [r.status_code for r in responses] == [200] * 100
        assert await balance(client, first) == Decimal("800.00")
        assert await balance(client, second) == Decimal("1200.00")


async def test_concurrent_overdrafts_never_go_negative(make_settings: SettingsFactory) -> None:
    async with running_client(make_settings(db_pool_timeout=30)) as client:
        source = await open_account(client, "100.00")
        target = await open_account(client, "0")

        responses = await asyncio.gather(
            *(transfer(client, source, target, "10.00") for _ in range(30))
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 10 + [409] * 20
        assert await balance(client, source) == Decimal("0.00")
        assert await balance(client, target) == Decimal("100.00")
