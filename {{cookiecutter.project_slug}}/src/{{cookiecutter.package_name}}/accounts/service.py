"""Account logic, including the locked transfer."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import backend
from ..errors import ConflictError, NotFoundError
from .models import Account
from .schemas import AccountCreate


class InsufficientFundsError(ConflictError):
    code = "insufficient-funds"
    title = "Insufficient Funds"


async def get_or_raise(session: AsyncSession, *, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"Account {account_id} does not exist.")
    return account


async def create(session: AsyncSession, *, data: AccountCreate) -> Account:
    account = Account(**data.model_dump())
    session.add(account)
    await session.commit()
    return account


async def transfer(
    session: AsyncSession, *, from_id: int, to_id: int, amount: Decimal
) -> tuple[Account, Account]:
    """Move amount between two accounts in one transaction.

    Both rows are locked in ascending id order, whatever the direction of the
    transfer, so two opposite transfers wait for each other instead of deadlocking.
    """
    await backend.begin_write(session)
    locked: dict[int, Account] = {}
    for account_id in sorted((from_id, to_id)):
        account = await session.scalar(
            select(Account)
            .where(Account.id == account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if account is None:
            await session.rollback()
            raise NotFoundError(f"Account {account_id} does not exist.", account_id=account_id)
        locked[account_id] = account
    source, target = locked[from_id], locked[to_id]
    if source.balance < amount:
        shortfall = f"Account {from_id} holds {source.balance}, less than {amount}."
        await session.rollback()
        raise InsufficientFundsError(shortfall)
    source.balance -= amount
    target.balance += amount
    await session.commit()
    return source, target
