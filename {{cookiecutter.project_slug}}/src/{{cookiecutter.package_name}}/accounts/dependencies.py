from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db.columns import MAX_ID
from ..db.session import ReadSessionDep
from ..sessions.dependencies import CurrentSession
from . import service
from .models import Account


async def owned_account(
    account_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    principal: CurrentSession,
    session: ReadSessionDep,
) -> Account:
    """The caller's account, for a read; another user's is a 404, as an unknown one is.

    The session names the caller: an account they own proves they exist (its
    foreign key), so this costs one query and no read of the user.
    """
    return await service.get_owned_or_raise(
        session, account_id=account_id, owner_id=principal.user_id
    )


OwnedAccount = Annotated[Account, Depends(owned_account)]
