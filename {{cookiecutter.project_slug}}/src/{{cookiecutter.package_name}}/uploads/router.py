"""Routes every upload strategy shares."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from ..db.session import SessionDep
from ..errors import SERVER_ERRORS, problem_responses
from . import service
from .dependencies import OwnerDep, StorageDep, UploadSettingsDep
from .schemas import UploadRead

router = APIRouter(
    prefix="/api/v1/uploads",
    tags=["uploads"],
    responses=problem_responses(401, 404, 422, *SERVER_ERRORS),
)


# Ids are typed in the path: a segment that is not a UUID names no upload (404), and
# a GET on a strategy's own route (/presign, /tus) answers 405, not a failed id.
@router.get("/{upload_id:uuid}")
async def get_upload(
    upload_id: uuid.UUID,
    session: SessionDep,
    storage: StorageDep,
    owner: OwnerDep,
    settings: UploadSettingsDep,
) -> UploadRead:
    """Metadata of an upload, and a short-lived download URL once it is complete."""
    upload = await service.get_or_raise(session, upload_id=upload_id, owner=owner)
    return await service.read(storage, settings, upload)
