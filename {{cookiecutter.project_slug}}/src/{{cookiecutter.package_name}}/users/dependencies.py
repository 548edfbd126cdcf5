from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..db.session import SessionDep
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
    return await service.get_signed_in(session, user_id=principal.user_id)


CurrentUser = Annotated[User, Depends(current_user)]
