from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from ..db.session import SessionDep
from ..errors import SERVER_ERRORS, problem_responses
from ..services import ServicesDep
from ..sessions.dependencies import StrategyDep
from ..sessions.strategy import LoginResponse
from ..users.dependencies import CurrentUser, PasswordsDep
from ..users.schemas import UserCreate, UserRead
from . import service
from .dependencies import LoginAttemptsDep
from .login_attempts import client_ip
from .schemas import LoginRequest, PasswordChange, PasswordChanged

# Full paths: the password change sits with the other /users/me routes.
router = APIRouter(responses=problem_responses(422, *SERVER_ERRORS))


@router.post(
    "/api/v1/auth/register",
    tags=["users"],
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
    user = await service.sign_up(session, passwords, attempts, data=data, ip=client_ip(request))
    return UserRead.model_validate(user)


@router.post("/api/v1/auth/login", tags=["auth"], responses=problem_responses(401, 413, 429))
async def login(
    credentials: LoginRequest,
    request: Request,
    response: Response,
    services: ServicesDep,
) -> LoginResponse:
    """Check email and password and start a session; repeated failures are refused (429)."""
    user = await service.log_in(
        services.sessionmaker,
        services.passwords,
        services.login_attempts,
        email=credentials.email,
        password=credentials.password,
        ip=client_ip(request),
    )
    return await services.sessions.login(request, response, user.id)


@router.post(
    "/api/v1/users/me/password", tags=["users"], responses=problem_responses(401, 413, 429)
)
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
    ended = await service.change_password(
        session,
        passwords,
        attempts,
        strategy,
        user=user,
        current=data.current_password,
        new=data.new_password,
        ip=client_ip(request),
    )
    started = await strategy.login(request, response, user.id)
    return PasswordChanged.model_validate({**started.model_dump(), "sessions_ended": ended})
