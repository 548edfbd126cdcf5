from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from ..schemas import DecimalString, Text

ItemName = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[Text, StringConstraints(max_length=2000)]
Price = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), DecimalString(12)]


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ItemName
    description: Description | None = None
    price: Price


class ItemUpdate(BaseModel):
    """Partial update (PATCH): only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    # None only stands for "not sent": the schema leaves null out, and null is refused.
    name: ItemName | SkipJsonSchema[None] = None
    description: Description | None = None
    price: Price | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def refuse_null_required_fields(self) -> Self:
        for field in ("name", "price"):
            if field in self.model_fields_set and getattr(self, field) is None:
                msg = f"{field} cannot be null"
                raise ValueError(msg)
        return self


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    name: str
    description: str | None
    price: Decimal
    created_at: datetime
    updated_at: datetime


class ItemPage(BaseModel):
    items: list[ItemRead]
    total: int
    limit: int
    offset: int
