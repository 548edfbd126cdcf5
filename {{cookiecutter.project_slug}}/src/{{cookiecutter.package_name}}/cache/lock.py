"""A Redis lock that only its holder can release."""

from __future__ import annotations

import secrets

from redis.commands.core import AsyncScript

from ..redis_client import RedisClient

# Delete the lock only if it still holds our token: a holder that outlived its
# lock must not free the lock someone else has taken since.
RELEASE_SCRIPT = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""


class LockFactory:
    """Locks on one Redis client, sharing one registered release script."""

    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self.release_script = redis.register_script(RELEASE_SCRIPT)

    def lock(self, name: str, ttl_seconds: float) -> RedisLock:
        return RedisLock(self.redis, self.release_script, name, ttl_seconds)


class RedisLock:
    """SET NX PX with a random token; released by compare-and-delete.

    The TTL frees the lock of a holder that died; a holder slower than the TTL
    may find its lock taken by another, and its release then leaves that alone.
    """

    def __init__(
        self, redis: RedisClient, release_script: AsyncScript, name: str, ttl_seconds: float
    ) -> None:
        self.redis = redis
        self.name = name
        self.ttl_ms = max(1, round(ttl_seconds * 1000))
        self.token: str | None = None
        self._release_script = release_script

    async def acquire(self) -> bool:
        """One attempt; True when this lock now holds it."""
        token = secrets.token_hex(16)
        if await self.redis.set(self.name, token, nx=True, px=self.ttl_ms):
            self.token = token
            return True
        return False

    async def release(self) -> bool:
        """True when the lock was still ours and is now free."""
        token, self.token = self.token, None
        if token is None:
            return False
        return bool(await self._release_script(keys=[self.name], args=[token]))
