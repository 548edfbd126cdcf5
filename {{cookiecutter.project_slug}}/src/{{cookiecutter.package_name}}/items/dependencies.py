from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db.columns import MAX_ID
from ..db.session import SessionDep
from ..sessions.dependencies import CurrentSession
from . import service
from .models import Item

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


async def owned_item(item_id: ItemId, principal: CurrentSession, session: SessionDep) -> Item:
    """The caller's item, for a write; another user's is a 404, as an unknown one is."""
    return await service.get_or_raise(session, item_id=item_id, owner_id=principal.user_id)


OwnedItem = Annotated[Item, Depends(owned_item)]
