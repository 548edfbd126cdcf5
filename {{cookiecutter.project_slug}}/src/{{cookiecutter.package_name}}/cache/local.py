"""L1: a bounded in-process cache whose entries expire on their own."""

from __future__ import annotations

import time
from collections.abc import Iterable

from cachetools import TLRUCache

from .entry import Entry


def _expiry(_key: str, entry: Entry, _now: float) -> float:
    return entry.local_expiry


class LocalCache:
    """Entries by key name; least recently used ones go first when it is full.

    `epoch` counts invalidations: a load that saw a different epoch when it
    started may carry data older than the invalidation and is not kept.
    """

    def __init__(self, max_items: int) -> None:
        self._entries: TLRUCache[str, Entry] = TLRUCache(
            maxsize=max_items, ttu=_expiry, timer=time.monotonic
        )
        self.epoch = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str, fingerprint: str) -> Entry | None:
        entry = self._entries.get(name)
        if entry is None or entry.fingerprint != fingerprint:
            return None
        return entry

    def put(self, name: str, entry: Entry, *, loaded_at_epoch: int) -> None:
        if loaded_at_epoch == self.epoch:
            self._entries[name] = entry

    def evict(self, names: Iterable[str] = (), tags: Iterable[str] = ()) -> None:
        self.epoch += 1
        for name in names:
            self._entries.pop(name, None)
        tags = set(tags)
        if tags:
            # A scan of at most max_items entries: no tag index to keep consistent.
            tagged = [name for name, entry in self._entries.items() if tags & entry.tags]
            for name in tagged:
                self._entries.pop(name, None)

    def clear(self) -> None:
        self.epoch += 1
        self._entries.clear()
