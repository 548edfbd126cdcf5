"""Dependencies of routes that need the caller's session or account."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..db.session import SessionDep
from ..errors import UnauthorizedError
from ..users import service as users_service
from ..users.models import User
from .base import Principal
from .login_attempts import LoginAttempts
from .strategy import Credential, Strategy


# Dependencies are async even where they need not be: FastAPI runs a plain
# function in a worker thread, a hop that costs more than the function.
async def get_strategy(request: Request) -> Strategy:
    strategy: Strategy = request.app.state.sessions
    return strategy


async def get_login_attempts(request: Request) -> LoginAttempts:
    attempts: LoginAttempts = request.app.state.login_attempts
    return attempts


StrategyDep = Annotated[Strategy, Depends(get_strategy)]
LoginAttemptsDep = Annotated[LoginAttempts, Depends(get_login_attempts)]


async def current_session(
    request: Request, credential: Credential, strategy: StrategyDep
) -> Principal:
    """The caller's session; 401 without valid credentials."""
    return await strategy.authenticate(request, credential)


CurrentSession = Annotated[Principal, Depends(current_session)]


async def current_user(principal: CurrentSession, session: SessionDep) -> User:
    """The caller's account; 401 without a valid session."""
    user = await users_service.get(session, user_id=principal.user_id)
    if user is None:
        raise UnauthorizedError("The account of this session no longer exists.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
