from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..services import ServicesDep
from .login_attempts import LoginAttempts


async def get_login_attempts(services: ServicesDep) -> LoginAttempts:  # async: no worker thread
    return services.login_attempts


LoginAttemptsDep = Annotated[LoginAttempts, Depends(get_login_attempts)]
