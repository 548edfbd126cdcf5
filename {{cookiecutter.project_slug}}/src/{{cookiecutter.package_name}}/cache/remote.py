"""L2: entries in Redis, shared by every instance of the service.

Invalidation writes a new random generation token for the key (and for each
tag). Every stored entry carries the tokens that were current when its load
began, and a read compares them with the current ones in the same round trip
(MGET). An entry loaded from data older than an invalidation therefore never
matches, whoever wrote it and whenever: no stale write-back after a concurrent
update, and no stale read across deploys with different schemas.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Iterable
from typing import Any, cast

from ..redis_client import RedisClient
from .keys import CacheKey
from .lock import LockFactory, RedisLock

# Entries a tag set lists for deletion at the tag's invalidation. Past this many,
# new entries are left out: they are stale all the same once the tag's generation
# changes, and expire on their own. This bounds what one invalidation deletes,
# however many pages (say) were ever cached under the tag.
MAX_TRACKED_PER_TAG = 1000
CACHE_HASH_TAG = "{cache}"

# KEYS: the entry, then its tag sets. ARGV: the stored value, the TTL in ms, the cap.
WRITE_SCRIPT = """
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
for i = 2, #KEYS do
    if redis.call("SCARD", KEYS[i]) < tonumber(ARGV[3]) then
        redis.call("SADD", KEYS[i], KEYS[1])
        redis.call("PEXPIRE", KEYS[i], ARGV[2], "NX")
        redis.call("PEXPIRE", KEYS[i], ARGV[2], "GT")
    end
end
return 1
"""


class RemoteCache:
    def __init__(self, redis: RedisClient, namespace: str, *, generation_ttl: float) -> None:
        self.redis = redis
        # One hash tag for the whole cache: a read compares an entry with the
        # generations of its key, its tags and of everything in one MGET, and an
        # invalidation spans families, so on a Redis Cluster the cache lives in
        # one hash slot (one master and its replicas).
        self.prefix = f"{namespace}:{CACHE_HASH_TAG}"
        self.channel = f"{self.prefix}:invalidations"
        # Generations outlive every entry that may carry them.
        self.generation_ttl_ms = max(1, round(generation_ttl * 1000))
        self.locks = LockFactory(redis)
        self.write_script = redis.register_script(WRITE_SCRIPT)

    # Key layout: e = entries, g = generations, t = tag sets, l = locks.
    def entry_key(self, key: CacheKey[Any], fingerprint: str | None = None) -> str:
        return f"{self.prefix}:e:{fingerprint or key.family.fingerprint}:{key.name}"

    def tag_set_key(self, tag: str) -> str:
        return f"{self.prefix}:t:{tag}"

    def _generation_keys(self, names: Iterable[str], tags: Iterable[str]) -> list[str]:
        return [
            f"{self.prefix}:g:all",
            *(f"{self.prefix}:g:k:{name}" for name in names),
            *(f"{self.prefix}:g:t:{tag}" for tag in sorted(tags)),
        ]

    def lock(self, key: CacheKey[Any], ttl_seconds: float) -> RedisLock:
        return self.locks.lock(f"{self.prefix}:l:{key.family.fingerprint}:{key.name}", ttl_seconds)

    async def read(self, key: CacheKey[Any], tags: Collection[str]) -> tuple[bytes | None, bytes]:
        """(body or None on a miss, the current generations), in one round trip."""
        # The client does not decode responses: values are bytes.
        values = cast(
            "list[bytes | None]",
            await self.redis.mget([self.entry_key(key), *self._generation_keys([key.name], tags)]),
        )
        stored, *generations = values
        current = b",".join(generation or b"" for generation in generations)
        if stored is None:
            return None, current
        header, _, body = stored.partition(b"\n")
        if header != current:  # invalidated after this entry's load began
            return None, current
        return body, current

    async def write(
        self,
        key: CacheKey[Any],
        body: bytes,
        *,
        generations: bytes,
        ttl: float,
        tags: Collection[str],
    ) -> None:
        """Store body as loaded under these generations, listed in each tag's set
        (up to MAX_TRACKED_PER_TAG); tag sets outlive the entries they list.
        """
        ttl_ms = max(1, round(ttl * 1000))
        await self.write_script(
            keys=[self.entry_key(key), *(self.tag_set_key(tag) for tag in tags)],
            args=[generations + b"\n" + body, ttl_ms, MAX_TRACKED_PER_TAG],
        )

    async def invalidate(
        self, names: Collection[str], tags: Collection[str], fingerprints: Collection[str]
    ) -> None:
        """New generations first (correctness), then delete what is known (memory)."""
        token = secrets.token_hex(8)
        generation_keys = self._generation_keys(names, tags)[1:]
        async with self.redis.pipeline(transaction=True) as pipe:
            for generation_key in generation_keys:
                pipe.set(generation_key, token, px=self.generation_ttl_ms)
            for name in names:
                for fingerprint in fingerprints:
                    # As a plain command: a cluster pipeline's unlink() is no pipelined call.
                    pipe.execute_command("UNLINK", f"{self.prefix}:e:{fingerprint}:{name}")
            for tag in tags:
                pipe.smembers(self.tag_set_key(tag))
            results = await pipe.execute()
        # Published after the transaction: a cluster runs no PUBLISH inside one.
        await self.redis.publish(
            self.channel, json.dumps({"keys": list(names), "tags": list(tags)})
        )
        tagged: set[bytes] = set()
        for members in results[len(results) - len(tags) :] if tags else ():
            tagged |= members
        doomed = [*tagged, *(self.tag_set_key(tag).encode() for tag in tags)]
        if doomed:
            await self.redis.unlink(*doomed)

    async def invalidate_all(self) -> None:
        """Every entry of every instance, for when some invalidations may have been lost."""
        generation = secrets.token_hex(8)
        await self.redis.set(f"{self.prefix}:g:all", generation, px=self.generation_ttl_ms)
        await self.redis.publish(self.channel, json.dumps({"all": True}))
