"""Request dependencies of the upload routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..services import ServicesDep
from ..sessions.dependencies import CurrentSession
from ..users import service as users_service
from .settings import UploadSettings
from .storage import Storage


async def upload_owner(principal: CurrentSession, services: ServicesDep) -> int:
    """The id of the signed-in user, who owns the uploads they make; 401 otherwise.

    The account is checked in a session of its own, closed at once: an upload
    request can last minutes, and must not hold a pooled connection meanwhile.
    """
    async with services.sessionmaker() as session:
        user = await users_service.get_signed_in(session, user_id=principal.user_id)
    return user.id


async def get_storage(services: ServicesDep) -> Storage:
    # async: FastAPI would run a plain def in a worker thread, on every request.
    return services.storage


async def get_upload_settings(services: ServicesDep) -> UploadSettings:
    return services.settings


OwnerDep = Annotated[int, Depends(upload_owner)]
StorageDep = Annotated[Storage, Depends(get_storage)]
UploadSettingsDep = Annotated[UploadSettings, Depends(get_upload_settings)]
