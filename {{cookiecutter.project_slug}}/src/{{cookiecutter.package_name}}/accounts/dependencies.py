from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db.columns import MAX_ID
from ..db.session import ReadConnectionDep
from ..sessions.dependencies import CurrentSession
from . import service
from .schemas import AccountRead


async def owned_account(
    account_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    principal: CurrentSession,
    connection: ReadConnectionDep,
) -> AccountRead:
    """The caller's account, for a read; another user's is a 404, as an unknown one is.

    The session names the caller: an account they own proves they exist (its
    foreign key), so this costs one query and no read of the user.
    """
    return await service.read_owned(connection, account_id=account_id, owner_id=principal.user_id)


OwnedAccount = Annotated[AccountRead, Depends(owned_account)]
