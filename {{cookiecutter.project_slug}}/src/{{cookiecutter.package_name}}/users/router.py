from __future__ import annotations

from fastapi import APIRouter

from ..errors import SERVER_ERRORS, problem_responses
from .dependencies import CurrentUser
from .schemas import UserRead

# Registration and the password change are flows of auth/ (auth/router.py).
router = APIRouter(tags=["users"], responses=problem_responses(422, *SERVER_ERRORS))


@router.get("/api/v1/users/me", responses=problem_responses(401))
async def read_me(user: CurrentUser) -> UserRead:
    """The account of the caller."""
    return UserRead.model_validate(user)
