from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .passwords import Passwords


async def get_passwords(request: Request) -> Passwords:  # async: no worker thread
    passwords: Passwords = request.app.state.passwords
    return passwords


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
