from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..db.session import SessionDep
from ..errors import UnauthorizedError
from ..services import ServicesDep
from ..sessions.dependencies import CurrentSession
from . import service
from .models import User
from .passwords import Passwords


async def get_passwords(services: ServicesDep) -> Passwords:  # async: no worker thread
    return services.passwords


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


async def current_user(principal: CurrentSession, session: SessionDep) -> User:
    """The caller's account; 401 without a valid session."""
    user = await service.get(session, user_id=principal.user_id)
    if user is None:
        raise UnauthorizedError("The account of this session no longer exists.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
