from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from ..db.session import SessionDep
from ..errors import SERVER_ERRORS, problem_responses
from ..sessions.dependencies import CurrentUser, LoginAttemptsDep, StrategyDep
from ..sessions.login_attempts import client_ip
from . import service
from .dependencies import PasswordsDep
from .schemas import PasswordChange, PasswordChanged, UserCreate, UserRead

# Full paths: registration sits with the other /auth routes, the rest under /users.
router = APIRouter(tags=["users"], responses=problem_responses(422, *SERVER_ERRORS))


@router.post(
    "/api/v1/auth/register",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 413, 429),
)
async def register(
    data: UserCreate,
    request: Request,
    session: SessionDep,
    passwords: PasswordsDep,
    attempts: LoginAttemptsDep,
) -> UserRead:
    """Create an account; log in afterwards to start a session.

    A taken address is a 409: registration tells whether an account exists, so it
    is limited per client IP (429).
    """
    await attempts.count_registration(ip=client_ip(request))
    user = await service.register(session, passwords, data=data)
    return UserRead.model_validate(user)


@router.get("/api/v1/users/me", responses=problem_responses(401))
async def read_me(user: CurrentUser) -> UserRead:
    """The account of the caller."""
    return UserRead.model_validate(user)


@router.post("/api/v1/users/me/password", responses=problem_responses(401, 413, 429))
async def change_password(
    data: PasswordChange,
    user: CurrentUser,
    request: Request,
    response: Response,
    session: SessionDep,
    passwords: PasswordsDep,
    attempts: LoginAttemptsDep,
    strategy: StrategyDep,
) -> PasswordChanged:
    """Change the caller's password; every session of the account ends.

    The caller gets a new session in the answer. A wrong current password counts
    as a failed login, so a stolen session cannot be used to guess the password.
    """
    # The account is read: its connection goes back to the pool while hashing.
    await session.close()
    async with attempts.attempt(email=user.email, ip=client_ip(request)):
        new_hash = await service.new_password_hash(
            passwords, user=user, current=data.current_password, new=data.new_password
        )
    # Sessions end before the new hash is stored: without Redis the change fails
    # as a whole (503) instead of leaving the old sessions alive. Once more after:
    # a login with the old password in between would otherwise survive.
    ended = await strategy.end_sessions(user.id)
    await service.set_password_hash(session, user=user, password_hash=new_hash)
    ended += await strategy.end_sessions(user.id)
    started = await strategy.login(request, response, user.id)
    return PasswordChanged.model_validate({**started.model_dump(), "sessions_ended": ended})
