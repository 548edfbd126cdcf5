"""What every session strategy shares: the interface, and session records in Redis."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, cast

from fastapi import Request, Response
from pydantic import BaseModel

from ..errors import RedisUnavailableError
from ..redis_client import RedisClient, hash_tagged
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


# Every key of a user's sessions carries the hash tag {user:ID}: on a Redis Cluster
# they share one node, so each script below may touch them together. Scripts touch
# only the keys they are given.

# Creates a session record (KEYS[1]) and adds its id (ARGV[1]) to the user's index
# (KEYS[2]). The ids the index held when the caller read it (ARGV[5..4+ARGV[4]], their
# records KEYS[3..]) are dropped from it if their session has expired meanwhile, so
# the index cannot grow forever. ARGV: id, TTL, index TTL, that count, the ids, then
# the record's field/value pairs.
CREATE_SESSION = """
local known = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], unpack(ARGV, 5 + known))
redis.call('EXPIRE', KEYS[1], ARGV[2])
for i = 1, known do
  if redis.call('EXISTS', KEYS[2 + i]) == 0 then redis.call('SREM', KEYS[2], ARGV[4 + i]) end
end
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return 1
"""

# Deletes every session of a user at once: the index (KEYS[1]) and the records of
# the ids the caller read from it (ARGV, records KEYS[2..]). If the index now names
# an id the caller did not read (a session created meanwhile), nothing is deleted
# and the answer is -1: the caller reads again. So a session created concurrently
# is either deleted too or created after, never left behind unindexed. Otherwise
# answers how many records existed (the index may name some that have expired).
DELETE_USER_SESSIONS = """
local read = {}
for _, id in ipairs(ARGV) do read[id] = true end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not read[id] then return -1 end
end
local ended = 0
for i = 2, #KEYS do ended = ended + redis.call('DEL', KEYS[i]) end
redis.call('DEL', KEYS[1])
return ended
"""

# How often delete_all reads the index again when sessions keep being created.
DELETE_ALL_ATTEMPTS = 10


class SessionStore:
    """Session records (Redis hashes with a TTL) and, per user, the ids of their sessions.

    The per-user index is what "log out everywhere" and a password change use.
    """

    def __init__(self, settings: SessionSettings, redis: RedisClient) -> None:
        self.redis = redis
        self.settings = settings
        self._create = redis.register_script(CREATE_SESSION)
        self._delete_all = redis.register_script(DELETE_USER_SESSIONS)

    def key(self, user_id: int, session_id: str) -> str:
        return hash_tagged(self.settings, f"user:{user_id}", "session", session_id)

    def index_key(self, user_id: int) -> str:
        return hash_tagged(self.settings, f"user:{user_id}", "sessions")

    async def _indexed(self, user_id: int) -> list[str]:
        # The client does not decode responses: members are bytes.
        members = cast("set[bytes]", await self.redis.smembers(self.index_key(user_id)))
        return sorted(member.decode() for member in members)

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
        known = await self._indexed(user_id)
        pairs = [item for pair in fields.items() for item in pair]
        await self._create(
            keys=[
                self.key(user_id, session_id),
                self.index_key(user_id),
                *(self.key(user_id, known_id) for known_id in known),
            ],
            args=[session_id, ttl, index_ttl, len(known), *known, *pairs],
        )

    async def delete(self, session_id: str, user_id: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            # As a plain command: a cluster pipeline's delete() is no pipelined call.
            pipe.execute_command("DEL", self.key(user_id, session_id))
            pipe.srem(self.index_key(user_id), session_id)
            await pipe.execute()

    async def delete_all(self, user_id: int) -> int:
        """Delete every session of the user; how many there were."""
        for _ in range(DELETE_ALL_ATTEMPTS):
            known = await self._indexed(user_id)
            ended = int(
                await self._delete_all(
                    keys=[
                        self.index_key(user_id),
                        *(self.key(user_id, known_id) for known_id in known),
                    ],
                    args=known,
                )
            )
            if ended >= 0:
                return ended
        msg = "sessions kept being created while ending them all; retry"
        raise RedisUnavailableError(msg)
