from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.accounts.models import MAX_BALANCE

from ..helpers.clients import running_client, running_user_client, signed_in
from ..helpers.settings import SettingsFactory

GRACE = "grace@example.com"


async def open_account(client: AsyncClient, balance: str) -> int:
    response = await client.post("/api/v1/accounts", json={"balance": balance})
    assert response.status_code == 201, response.text
    account_id: int = response.json()["id"]
    return account_id


async def balance(client: AsyncClient, account_id: int) -> Decimal:
    return Decimal((await client.get(f"/api/v1/accounts/{account_id}")).json()["balance"])


async def transfer(client: AsyncClient, from_id: int, to_id: int, amount: str) -> Response:
    body: dict[str, Any] = {"from_id": from_id, "to_id": to_id, "amount": amount}
    return await client.post("/api/v1/accounts/transfer", json=body)


async def test_transfer_moves_money(user_client: AsyncClient) -> None:
    source = await open_account(user_client, "100.00")
    target = await open_account(user_client, "5.00")

    response = await transfer(user_client, source, target, "30.25")

    assert response.status_code == 200
    assert response.json()["from_account"]["balance"] == "69.75"
    assert response.json()["to_id"] == target
    assert await balance(user_client, source) == Decimal("69.75")
    assert await balance(user_client, target) == Decimal("35.25")


async def test_account_belongs_to_the_signed_in_user(user_client: AsyncClient) -> None:
    me = (await user_client.get("/api/v1/users/me")).json()

    created = await user_client.post("/api/v1/accounts", json={"balance": "1.00"})
    named = await user_client.post("/api/v1/accounts", json={"owner": "Mallory", "balance": "1"})

    assert created.json()["owner_id"] == me["id"]
    assert created.headers["Location"].endswith(f"/api/v1/accounts/{created.json()['id']}")
    assert named.status_code == 422


async def test_every_account_route_needs_a_signed_in_user(make_settings: SettingsFactory) -> None:
    async with running_user_client(make_settings()) as owner:
        account = await open_account(owner, "100.00")
        other = await open_account(owner, "0")
    async with running_client(make_settings()) as anonymous:
        answers = [
            await anonymous.post("/api/v1/accounts", json={"balance": "1000000.00"}),
            await anonymous.get(f"/api/v1/accounts/{account}"),
            await transfer(anonymous, account, other, "100.00"),
        ]
    async with running_user_client(make_settings()) as owner:
        left = await balance(owner, account)

    assert [answer.status_code for answer in answers] == [401, 401, 401]
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
    assert left == Decimal("100.00")


async def test_another_users_account_is_404_and_cannot_be_drained(
    make_settings: SettingsFactory,
) -> None:
    async with running_user_client(make_settings()) as ada:
        adas = await open_account(ada, "100.00")
        async with running_client(make_settings()) as grace:
            await signed_in(grace, email=GRACE)
            graces = await open_account(grace, "0")

            read = await grace.get(f"/api/v1/accounts/{adas}")
            drained = await transfer(grace, adas, graces, "100.00")
            paid = await transfer(ada, adas, graces, "40.00")  # to anyone's account
            graces_balance = await balance(grace, graces)
            adas_view_of_graces = await ada.get(f"/api/v1/accounts/{graces}")
        adas_balance = await balance(ada, adas)

    assert read.status_code == 404
    assert read.json()["detail"] == f"Account {adas} does not exist."  # as for no account
    assert drained.status_code == 404
    assert paid.status_code == 200
    assert "to_account" not in paid.json()  # nothing of Grace's account is shown
    assert adas_view_of_graces.status_code == 404
    assert adas_balance == Decimal("60.00")
    assert graces_balance == Decimal("40.00")


async def test_overdraft_is_409_and_changes_nothing(user_client: AsyncClient) -> None:
    source = await open_account(user_client, "10.00")
    target = await open_account(user_client, "0")

    response = await transfer(user_client, source, target, "10.01")

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:problem-type:insufficient-funds"
    assert await balance(user_client, source) == Decimal("10.00")
    assert await balance(user_client, target) == Decimal("0.00")


async def test_balances_are_bounded_so_sums_never_overflow(user_client: AsyncClient) -> None:
    full = await open_account(user_client, str(MAX_BALANCE))
    source = await open_account(user_client, "1.00")

    over_the_top = await transfer(user_client, source, full, "0.01")
    too_much = await user_client.post("/api/v1/accounts", json={"balance": "100000000000000.00"})
    huge_amount = await transfer(user_client, source, full, "1e30")

    assert over_the_top.status_code == 409
    assert over_the_top.json()["type"] == "urn:problem-type:balance-limit"
    assert too_much.status_code == 422
    assert huge_amount.status_code == 422
    assert await balance(user_client, full) == MAX_BALANCE
    assert await balance(user_client, source) == Decimal("1.00")


async def test_unknown_account_is_404_and_changes_nothing(user_client: AsyncClient) -> None:
    source = await open_account(user_client, "10.00")

    response = await transfer(user_client, source, 2_000_000_000, "1.00")

    assert response.status_code == 404
    assert response.json()["account_id"] == 2_000_000_000
    assert await balance(user_client, source) == Decimal("10.00")


async def test_invalid_transfers_and_ids_are_422(user_client: AsyncClient) -> None:
    source = await open_account(user_client, "10.00")
    target = await open_account(user_client, "10.00")
    for amount in ("0", "-5.00", "1.001", "lots", "NaN", "Infinity"):
        response = await transfer(user_client, source, target, amount)
        assert response.status_code == 422, amount
    assert (await transfer(user_client, source, source, "1.00")).status_code == 422
    for account_id in (0, 2**31, 2**63, 10**30):
        assert (await transfer(user_client, source, account_id, "1.00")).status_code == 422
        assert (await user_client.get(f"/api/v1/accounts/{account_id}")).status_code == 422


async def test_concurrent_transfers_both_ways_conserve_totals(
    make_settings: SettingsFactory,
) -> None:
    # A generous pool timeout: this test is about locking, not about load shedding.
    async with running_user_client(make_settings(db_pool_timeout=30)) as client:
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
    async with running_user_client(make_settings(db_pool_timeout=30)) as client:
        source = await open_account(client, "100.00")
        target = await open_account(client, "0")

        responses = await asyncio.gather(
            *(transfer(client, source, target, "10.00") for _ in range(30))
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 10 + [409] * 20
        assert await balance(client, source) == Decimal("0.00")
        assert await balance(client, target) == Decimal("100.00")
