from __future__ import annotations

from fastapi import APIRouter

from ..db.session import ReadConnectionDep
from ..errors import SERVER_ERRORS, problem_responses
from ..sessions.dependencies import CurrentSession
from . import service
from .schemas import UserRead

# Registration and the password change are flows of auth/ (auth/router.py).
router = APIRouter(tags=["users"], responses=problem_responses(422, *SERVER_ERRORS))


@router.get("/api/v1/users/me", responses=problem_responses(401))
async def read_me(principal: CurrentSession, connection: ReadConnectionDep) -> UserRead:
    """The account of the caller."""
    return await service.read_signed_in(connection, user_id=principal.user_id)
