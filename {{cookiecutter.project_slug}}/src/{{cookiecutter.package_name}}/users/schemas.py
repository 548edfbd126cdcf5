from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    StringConstraints,
)

from ..schemas import Text
from .models import EMAIL_MAX_LENGTH
from .passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, refuse_common_password


def normalise_email(value: object) -> object:
    """One spelling per address: surrounding spaces dropped, lower case."""
    return value.strip().lower() if isinstance(value, str) else value


# A new address must be well formed; one given at login only needs the same spelling.
Email = Annotated[EmailStr, BeforeValidator(normalise_email)]
LoginEmail = Annotated[
    Text, BeforeValidator(normalise_email), StringConstraints(max_length=EMAIL_MAX_LENGTH)
]
NewPassword = Annotated[
    Text,
    StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH),
    AfterValidator(refuse_common_password),
]
GivenPassword = Annotated[Text, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: NewPassword


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    created_at: datetime
