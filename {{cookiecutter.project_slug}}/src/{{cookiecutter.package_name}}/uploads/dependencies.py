"""Request dependencies of the upload routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .storage import Storage


async def upload_owner() -> int | None:
    """The id of the user an upload belongs to.

    None while the service has no authentication: every upload is then
    everyone's. With users, return the current user's id here.
    """
    return None


async def get_storage(request: Request) -> Storage:
    # async: FastAPI would run a plain def in a worker thread, on every request.
    storage: Storage = request.app.state.storage
    return storage


OwnerDep = Annotated[int | None, Depends(upload_owner)]
StorageDep = Annotated[Storage, Depends(get_storage)]
