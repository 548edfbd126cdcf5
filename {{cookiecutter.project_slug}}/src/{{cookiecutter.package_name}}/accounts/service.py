"""Account logic, including the locked transfer."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..db import backend
from ..db.base import first_as, select_fields
from ..errors import ConflictError, NotFoundError
from .models import MAX_BALANCE, Account
from .schemas import AccountCreate, AccountRead


class InsufficientFundsError(ConflictError):
    code = "insufficient-funds"
    title = "Insufficient Funds"


class BalanceLimitError(ConflictError):
    code = "balance-limit"
    title = "Balance Limit Exceeded"


def _missing(account_id: int) -> NotFoundError:
    # Another user's account is answered like one that does not exist.
    return NotFoundError(f"Account {account_id} does not exist.", account_id=account_id)


OWNED = select_fields(Account, AccountRead).where(
    Account.id == bindparam("account_id"), Account.owner_id == bindparam("owner_id")
)


async def read_owned(connection: AsyncConnection, *, account_id: int, owner_id: int) -> AccountRead:
    parameters = {"account_id": account_id, "owner_id": owner_id}
    account = await first_as(connection, OWNED, AccountRead, parameters)
    if account is None:
        raise _missing(account_id)
    return account


async def create(session: AsyncSession, *, owner_id: int, data: AccountCreate) -> Account:
    account = Account(owner_id=owner_id, balance=data.balance)
    session.add(account)
    await session.commit()
    return account


async def transfer(
    session: AsyncSession, *, owner_id: int, from_id: int, to_id: int, amount: Decimal
) -> Account:
    """Move amount from one of owner_id's accounts to any account, in one transaction.

    Both rows are locked in ascending id order, whatever the direction of the
    transfer, so two opposite transfers wait for each other instead of deadlocking.
    Answers the source account.
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
        if account is None or (account_id == from_id and account.owner_id != owner_id):
            await session.rollback()
            raise _missing(account_id)
        locked[account_id] = account
    source, target = locked[from_id], locked[to_id]
    if source.balance < amount:
        shortfall = f"Account {from_id} holds {source.balance}, less than {amount}."
        await session.rollback()
        raise InsufficientFundsError(shortfall)
    if target.balance + amount > MAX_BALANCE:
        await session.rollback()
        raise BalanceLimitError(f"Account {to_id} may hold at most {MAX_BALANCE}.")
    source.balance -= amount
    target.balance += amount
    await session.commit()
    return source
