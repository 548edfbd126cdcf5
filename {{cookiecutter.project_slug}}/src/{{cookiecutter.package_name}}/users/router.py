from __future__ import annotations

from fastapi import APIRouter, Response, status

from ..db.session import SessionDep
from ..sessions.dependencies import CurrentUser, StrategyDep
from . import service
from .dependencies import PasswordsDep
from .schemas import PasswordChange, UserCreate, UserRead

# Full paths: registration sits with the other /auth routes, the rest under /users.
router = APIRouter(tags=["users"])


@router.post("/api/v1/auth/register", status_code=status.HTTP_201_CREATED)
async def register(data: UserCreate, session: SessionDep, passwords: PasswordsDep) -> UserRead:
    """Create an account; log in afterwards to start a session."""
    user = await service.register(session, passwords, data=data)
    return UserRead.model_validate(user)


@router.get("/api/v1/users/me")
async def read_me(user: CurrentUser) -> UserRead:
    """The account of the caller."""
    return UserRead.model_validate(user)


@router.post("/api/v1/users/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    data: PasswordChange,
    user: CurrentUser,
    session: SessionDep,
    passwords: PasswordsDep,
    strategy: StrategyDep,
    response: Response,
) -> None:
    """Change the caller's password and end every session of the account, this one too."""
    await service.change_password(
        session, passwords, user=user, current=data.current_password, new=data.new_password
    )
    await strategy.logout_everywhere(user.id, response)
