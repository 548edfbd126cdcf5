from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ..db.columns import MAX_ID

AccountId = Annotated[int, Field(ge=1, le=MAX_ID)]
Amount = Annotated[Decimal, Field(max_digits=16, decimal_places=2)]


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    balance: Annotated[Amount, Field(ge=0)] = Decimal("0.00")


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner: str
    balance: Decimal
    created_at: datetime
    updated_at: datetime


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_id: AccountId
    to_id: AccountId
    amount: Annotated[Amount, Field(gt=0)]

    @model_validator(mode="after")
    def refuse_self_transfer(self) -> Self:
        if self.from_id == self.to_id:
            msg = "from_id and to_id must be different accounts"
            raise ValueError(msg)
        return self


class TransferResult(BaseModel):
    from_account: AccountRead
    to_account: AccountRead
    amount: Decimal
