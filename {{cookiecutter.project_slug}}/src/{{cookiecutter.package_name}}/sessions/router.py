from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from ..db.session import sessionmaker_of
from ..errors import SERVER_ERRORS, problem_responses
from ..users import service as users_service
from ..users.dependencies import PasswordsDep
from ..users.schemas import LoginRequest
from .dependencies import CurrentSession, LoginAttemptsDep, StrategyDep
from .login_attempts import client_ip
from .strategy import LoginResponse

router = APIRouter(
    prefix="/api/v1/auth",
    tags=["auth"],
    responses=problem_responses(401, 422, *SERVER_ERRORS),
)


@router.post("/login", responses=problem_responses(413, 429))
async def login(
    credentials: LoginRequest,
    request: Request,
    response: Response,
    passwords: PasswordsDep,
    attempts: LoginAttemptsDep,
    strategy: StrategyDep,
) -> LoginResponse:
    """Check email and password and start a session; repeated failures are refused (429)."""
    async with attempts.attempt(email=credentials.email, ip=client_ip(request)):
        user = await users_service.authenticate(
            sessionmaker_of(request),
            passwords,
            email=credentials.email,
            password=credentials.password,
        )
    return await strategy.login(request, response, user.id)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentSession, response: Response, strategy: StrategyDep) -> None:
    """End the caller's session."""
    await strategy.logout(principal, response)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT)
async def logout_everywhere(
    principal: CurrentSession, response: Response, strategy: StrategyDep
) -> None:
    """End every session of the caller's account, on every device."""
    await strategy.logout_everywhere(principal.user_id, response)
