"""jwt: stateless access tokens, refresh tokens rotated through Redis.

A request is authenticated by its access token's signature and claims alone, so
reading needs no Redis round trip and keeps working while Redis is down. The
price: logging out (or changing the password) ends the session's refresh token
at once, but access tokens already handed out stay valid until they expire
(ACCESS_TOKEN_TTL, 15 minutes by default). Choose hybrid for instant revocation.
"""

from __future__ import annotations

from fastapi import Request

from ..base import Principal
from ..tokens import Credential, TokenStrategy
from ..tokens import TokenPair as LoginResponse

__all__ = ["Credential", "LoginResponse", "Strategy"]


class Strategy(TokenStrategy):
    async def authenticate(self, request: Request, credential: str | None) -> Principal:
        return self.principal(credential)
