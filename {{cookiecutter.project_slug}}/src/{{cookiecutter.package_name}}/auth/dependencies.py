from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .login_attempts import LoginAttempts


async def get_login_attempts(request: Request) -> LoginAttempts:  # async: no worker thread
    attempts: LoginAttempts = request.app.state.login_attempts
    return attempts


LoginAttemptsDep = Annotated[LoginAttempts, Depends(get_login_attempts)]
