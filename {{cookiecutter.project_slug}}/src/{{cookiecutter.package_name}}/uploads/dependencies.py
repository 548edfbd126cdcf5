"""Request dependencies of the upload routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..db.session import sessionmaker_of
from ..errors import UnauthorizedError
from ..sessions.dependencies import CurrentSession
from ..users import service as users_service
from .storage import Storage


async def upload_owner(principal: CurrentSession, request: Request) -> int:
    """The id of the signed-in user, who owns the uploads they make; 401 otherwise.

    The account is checked in a session of its own, closed at once: an upload
    request can last minutes, and must not hold a pooled connection meanwhile.
    """
    async with sessionmaker_of(request)() as session:
        user = await users_service.get(session, user_id=principal.user_id)
    if user is None:
        raise UnauthorizedError("The account of this session no longer exists.")
    return user.id


async def get_storage(request: Request) -> Storage:
    # async: FastAPI would run a plain def in a worker thread, on every request.
    storage: Storage = request.app.state.storage
    return storage


OwnerDep = Annotated[int, Depends(upload_owner)]
StorageDep = Annotated[Storage, Depends(get_storage)]
