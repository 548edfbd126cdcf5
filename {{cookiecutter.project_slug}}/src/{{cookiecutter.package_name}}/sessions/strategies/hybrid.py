"""hybrid: access tokens naming a session that must still exist in Redis.

Each request verifies the access token's signature and claims, then that its
session (`sid`) is still in Redis: an allow-list. Logging out, changing the
password or logging out everywhere deletes sessions, and the very next request
with their tokens is refused. One Redis round trip per request; while Redis is
down, authenticated requests are answered 503.
"""

from __future__ import annotations

from fastapi import Request

from ..base import Principal
from ..tokens import Credential, InvalidTokenError, TokenStrategy
from ..tokens import TokenPair as LoginResponse

__all__ = ["Credential", "LoginResponse", "Strategy"]


class Strategy(TokenStrategy):
    async def authenticate(self, request: Request, credential: str | None) -> Principal:
        principal = self.principal(credential)
        if not await self.sessions.redis.exists(self.sessions.key(principal.session_id)):
            raise InvalidTokenError("The session of this token has ended; log in again.")
        return principal
