from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from ..db.columns import MAX_ID
from ..db.session import SessionDep
from . import service
from .schemas import AccountCreate, AccountRead, TransferRequest, TransferResult

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_account(
    data: AccountCreate, session: SessionDep, request: Request, response: Response
) -> AccountRead:
    """Open an account with a starting balance."""
    account = await service.create(session, data=data)
    response.headers["Location"] = str(request.url_for("get_account", account_id=account.id))
    return AccountRead.model_validate(account)


@router.get("/{account_id}")
async def get_account(
    account_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep
) -> AccountRead:
    """Read one account and its balance."""
    return AccountRead.model_validate(await service.get_or_raise(session, account_id=account_id))


@router.post("/transfer")
async def transfer(data: TransferRequest, session: SessionDep) -> TransferResult:
    """Move money between two accounts atomically; never overdraws (409)."""
    source, target = await service.transfer(
        session, from_id=data.from_id, to_id=data.to_id, amount=data.amount
    )
    return TransferResult(
        from_account=AccountRead.model_validate(source),
        to_account=AccountRead.model_validate(target),
        amount=data.amount,
    )
