from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..schemas import DecimalString, Id
from .models import MAX_BALANCE

# As JSON, "0" to MAX_BALANCE: the pattern holds no more digits than that.
AS_TEXT = DecimalString(digits=14)
Amount = Annotated[Decimal, Field(ge=0, le=MAX_BALANCE, decimal_places=2), AS_TEXT]
PositiveAmount = Annotated[Decimal, Field(gt=0, le=MAX_BALANCE, decimal_places=2), AS_TEXT]


class AccountCreate(BaseModel):
    """A new account of the caller's; the opening balance stands in for a first deposit."""

    model_config = ConfigDict(extra="forbid")

    balance: Amount = Decimal("0.00")


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    balance: Decimal
    created_at: datetime
    updated_at: datetime


class TransferRequest(BaseModel):
    """From one of the caller's accounts to any account."""

    model_config = ConfigDict(extra="forbid")

    from_id: Id
    to_id: Id
    amount: PositiveAmount

    @model_validator(mode="after")
    def refuse_self_transfer(self) -> Self:
        if self.from_id == self.to_id:
            msg = "from_id and to_id must be different accounts"
            raise ValueError(msg)
        return self


class TransferResult(BaseModel):
    """The caller's account after the transfer; the other account may be someone else's."""

    from_account: AccountRead
    to_id: int
    amount: Decimal
