"""Input types every request schema shares: what any value must be to be stored."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from .db.columns import MAX_ID

# Every string a request carries. Refused with a 422 instead of failing in the
# database: NUL (PostgreSQL's text cannot hold it) and, since a pattern is matched
# on the string's UTF-8 form, lone surrogates (JSON allows "\ud800"; no driver
# can encode one). Add lengths and stripping with StringConstraints: they merge
# into the same check.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
# A row id that every database's INTEGER primary key holds.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
