"""Input types every request schema shares: what any value must be to be stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from string import Template
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from .db.columns import MAX_ID

# Every string a request carries. Refused with a 422 instead of failing in the
# database: NUL (PostgreSQL's text cannot hold it) and, since a pattern is matched
# on the string's UTF-8 form, lone surrogates (JSON allows "\ud800"; no driver
# can encode one). Add lengths and stripping with StringConstraints: they merge
# into the same check.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
# A row id that every database's INTEGER primary key holds.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


@dataclass(frozen=True)
class DecimalString:
    """A decimal that JSON carries as a string of digits, as the schema documents it:
    at most `digits` digits before the point and `places` after, no sign, no exponent.

    A JSON number is refused: a float cannot hold every amount of cents exactly, and
    a client would not know how many digits survive. Python callers pass a Decimal.
    """

    digits: int
    places: int = 2

    @property
    def pattern(self) -> str:
        shape = Template(r"^[0-9]{1,$digits}(\.[0-9]{1,$places})?$$")
        return shape.substitute(digits=self.digits, places=self.places)

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        # FastAPI validates the parsed body as Python objects: the check comes first.
        return core_schema.no_info_before_validator_function(self._text_only, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": self.pattern}

    def _text_only(self, value: object) -> object:
        if isinstance(value, Decimal) or (
            isinstance(value, str) and re.fullmatch(self.pattern, value)
        ):
            return value
        msg = (
            f'must be a string such as "12.30": at most {self.digits} digits,'
            f" then at most {self.places} after a point"
        )
        raise ValueError(msg)
