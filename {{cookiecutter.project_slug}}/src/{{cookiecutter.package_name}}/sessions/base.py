"""What every session strategy shares: the interface, and session records in Redis."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request, Response
from pydantic import BaseModel
from redis.asyncio import Redis

from ..redis_client import redis_key
from .settings import SessionSettings


@dataclass(frozen=True, slots=True)
class Principal:
    """Who sent a request: a user, and the session the request belongs to."""

    user_id: int
    session_id: str


class SessionStrategy(Protocol):
    """What the routes need from a strategy; they never know which one runs."""

    async def login(self, request: Request, response: Response, user_id: int) -> BaseModel:
        """Start a new session for user_id; the body (and cookies) the client gets."""
        ...

    async def authenticate(self, request: Request, credential: str | None) -> Principal:
        """The session a request belongs to; UnauthorizedError when there is none."""
        ...

    async def logout(self, principal: Principal, response: Response) -> None:
        """End this one session."""
        ...

    async def logout_everywhere(self, user_id: int, response: Response) -> None:
        """End every session of the user, the caller's included."""
        ...

    async def end_sessions(self, user_id: int) -> int:
        """End every session of the user, cookies untouched; how many there were."""
        ...


def digest(value: str) -> str:
    """SHA-256 of a secret, hex: what Redis stores in its place."""
    return hashlib.sha256(value.encode()).hexdigest()


# Creates a session record and adds its id to the user's index, dropping the ids
# of sessions that have expired meanwhile, so the index cannot grow forever.
CREATE_SESSION = """
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[2])
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[4] .. id) == 0 then redis.call('SREM', KEYS[2], id) end
end
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return 1
"""

# Deletes every session of a user at once: a session created concurrently is
# either deleted too or created after, never left behind unindexed. Answers how
# many existed (the index may still name some that have expired).
DELETE_USER_SESSIONS = """
local ended = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  ended = ended + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return ended
"""


class SessionStore:
    """Session records (Redis hashes with a TTL) and, per user, the ids of their sessions.

    The per-user index is what "log out everywhere" and a password change use.
    """

    def __init__(self, settings: SessionSettings, redis: Redis) -> None:
        self.redis = redis
        self._prefix = redis_key(settings, "session", "")
        self._index_prefix = redis_key(settings, "user-sessions", "")
        self._create = redis.register_script(CREATE_SESSION)
        self._delete_all = redis.register_script(DELETE_USER_SESSIONS)

    def key(self, session_id: str) -> str:
        return self._prefix + session_id

    def index_key(self, user_id: int) -> str:
        return f"{self._index_prefix}{user_id}"

    async def create(
        self,
        session_id: str,
        user_id: int,
        fields: Mapping[str, str],
        *,
        ttl: int,
        index_ttl: int,
    ) -> None:
        """Store a session for ttl seconds; the index lives at least index_ttl seconds."""
        pairs = [item for pair in fields.items() for item in pair]
        await self._create(
            keys=[self.key(session_id), self.index_key(user_id)],
            args=[session_id, ttl, index_ttl, self._prefix, *pairs],
        )

    async def delete(self, session_id: str, user_id: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.key(session_id))
            pipe.srem(self.index_key(user_id), session_id)
            await pipe.execute()

    async def delete_all(self, user_id: int) -> int:
        """Delete every session of the user; how many there were."""
        ended = await self._delete_all(keys=[self.index_key(user_id)], args=[self._prefix])
        return int(ended)
