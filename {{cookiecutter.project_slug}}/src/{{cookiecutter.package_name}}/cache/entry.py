"""A cached value as it is served: encoded JSON and its entity tag."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry:
    """Encoded once when loaded; every hit serves the same bytes."""

    body: bytes
    etag: str
    fingerprint: str
    tags: frozenset[str]
    local_expiry: float  # time.monotonic() deadline in L1

    @classmethod
    def of(
        cls, body: bytes, *, fingerprint: str, tags: frozenset[str], local_expiry: float
    ) -> Entry:
        return cls(body, entity_tag(body), fingerprint, tags, local_expiry)


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


@dataclass(frozen=True)
class Cached(Generic[T]):
    """What get_or_load returns: the JSON body, its ETag and (decoded on demand) the value."""

    body: bytes
    etag: str
    adapter: TypeAdapter[T] = field(repr=False, compare=False)

    @property
    def value(self) -> T:
        return self.adapter.validate_json(self.body)
