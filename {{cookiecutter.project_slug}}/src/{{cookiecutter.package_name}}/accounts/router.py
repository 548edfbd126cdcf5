from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from ..db.session import SessionDep
from ..errors import SERVER_ERRORS, problem_responses
from ..sessions.dependencies import CurrentSession
from ..users.dependencies import CurrentUser
from . import service
from .dependencies import OwnedAccount
from .schemas import AccountCreate, AccountRead, TransferRequest, TransferResult

router = APIRouter(
    prefix="/api/v1/accounts",
    tags=["accounts"],
    responses=problem_responses(401, 422, *SERVER_ERRORS),
)


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(413))
async def create_account(
    data: AccountCreate,
    user: CurrentUser,
    session: SessionDep,
    request: Request,
    response: Response,
) -> AccountRead:
    """Open an account of the caller's with a starting balance."""
    account = await service.create(session, owner_id=user.id, data=data)
    response.headers["Location"] = str(request.url_for("get_account", account_id=account.id))
    return AccountRead.model_validate(account)


# Ids are typed in the path: a segment that is not a number names no account (404),
# and GET /transfer finds the POST route (405) instead of an id that fails (422).
@router.get("/{account_id:int}", responses=problem_responses(404))
async def get_account(account: OwnedAccount) -> AccountRead:
    """Read one of the caller's accounts and its balance."""
    return account


@router.post("/transfer", responses=problem_responses(404, 409, 413))
async def transfer(
    data: TransferRequest, principal: CurrentSession, session: SessionDep
) -> TransferResult:
    """Move money from one of the caller's accounts to any account; never overdraws (409)."""
    source = await service.transfer(
        session,
        owner_id=principal.user_id,
        from_id=data.from_id,
        to_id=data.to_id,
        amount=data.amount,
    )
    return TransferResult(
        from_account=AccountRead.model_validate(source), to_id=data.to_id, amount=data.amount
    )
