from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..sessions.strategy import LoginResponse
from ..users.schemas import GivenPassword, LoginEmail, NewPassword


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: LoginEmail
    password: GivenPassword


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: GivenPassword
    new_password: NewPassword


class PasswordChanged(LoginResponse):
    """The caller's new session, started after every session of the account ended."""

    sessions_ended: int = Field(
        description="Sessions of the account that ended, the caller's previous one included."
    )
