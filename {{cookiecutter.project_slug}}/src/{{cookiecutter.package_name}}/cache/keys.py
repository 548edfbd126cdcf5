"""What is cached: typed families of keys whose stored form follows their schema."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")


@dataclass(frozen=True)
class CacheFamily(Generic[T]):
    """Entries of one kind, e.g. items by id, all encoded with one pydantic schema.

    The schema's fingerprint is part of every stored key: after a deploy that
    changes the schema, the service never decodes an entry written by the old one.
    """

    name: str
    schema: type[T]
    adapter: TypeAdapter[T] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "adapter", TypeAdapter(self.schema))

    @cached_property
    def fingerprint(self) -> str:
        schema = json.dumps(self.adapter.json_schema(), sort_keys=True).encode()
        return hashlib.sha256(schema).hexdigest()[:12]

    def key(self, *parts: object) -> CacheKey[T]:
        return CacheKey(self, ":".join(str(part) for part in (self.name, *parts)))


@dataclass(frozen=True)
class CacheKey(Generic[T]):
    """One entry: its family and its name, e.g. "item:42"."""

    family: CacheFamily[T]
    name: str
