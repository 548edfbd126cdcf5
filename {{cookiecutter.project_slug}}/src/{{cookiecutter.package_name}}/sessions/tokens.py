"""Signed JWTs and refresh-token rotation: what the jwt and hybrid strategies share.

A login starts a session in Redis that holds the hash of its current refresh
token. Both tokens carry the session id (`sid`). Each refresh retires the token
it was given and issues a new pair; a retired token that comes back means it
was copied, and the whole session is ended (token theft detection).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import jwt
import structlog
from fastapi import Depends, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from ..errors import UnauthorizedError
from ..settings import Settings
from .base import Principal, SessionStore, digest

ACCESS = "access"
REFRESH = "refresh"
REFRESH_COOKIE = "refresh_token"
REFRESH_PATH = "/api/v1/auth/refresh"
# Clock difference tolerated between the servers that sign and verify, in seconds.
LEEWAY_S = 5
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "iss", "aud", "type", "sid"]
MAX_TOKEN_LENGTH = 4096

log = structlog.stdlib.get_logger(__name__)

# Replaces the session's refresh token hash if the one presented is current (1);
# a retired one ends the session (-1); a session that is gone answers 0.
ROTATE_SCRIPT = """
local current = redis.call('HGET', KEYS[1], 'refresh')
if not current then return 0 end
if current ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[4])
  return -1
end
redis.call('HSET', KEYS[1], 'refresh', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return 1
"""


class InvalidTokenError(UnauthorizedError):
    code = "invalid-token"
    title = "Invalid Token"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["WWW-Authenticate"] = "Bearer"


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  # the scheme, not a secret
    expires_in: int = Field(description="Seconds the access token stays valid.")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Field(max_length=MAX_TOKEN_LENGTH)] | None = None


bearer = HTTPBearer(auto_error=False, description="The access token from login or refresh.")


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> str | None:
    return credentials.credentials if credentials else None


# What a request presents: the access token of an `Authorization: Bearer` header.
Credential = Annotated[str | None, Depends(bearer_token)]


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: int
    session_id: str


class TokenCodec:
    """Signs and verifies tokens with the one algorithm the settings name.

    HS* sign with a key derived from SECRET_KEY (64 bytes, enough for HS512);
    asymmetric algorithms sign with JWT_PRIVATE_KEY and verify with JWT_PUBLIC_KEY,
    so other services can verify tokens without being able to issue them.
    """

    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.jwt_algorithm
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        if self.algorithm.startswith("HS"):
            secret = settings.secret_key.get_secret_value().encode()
            key = hmac.new(secret, b"jwt-signing-key", hashlib.sha512).digest()
            self._signing_key = self._verifying_key = algorithm.prepare_key(key)
        else:
            if settings.jwt_private_key is None or settings.jwt_public_key is None:
                msg = f"JWT_ALGORITHM={self.algorithm} needs JWT_PRIVATE_KEY and JWT_PUBLIC_KEY"
                raise ValueError(msg)
            private_key = settings.jwt_private_key.get_secret_value()
            self._signing_key = algorithm.prepare_key(private_key)
            self._verifying_key = algorithm.prepare_key(settings.jwt_public_key)

    def encode(self, *, user_id: int, session_id: str, kind: str, ttl: int) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "sid": session_id,
            "type": kind,
            "iat": now,
            "exp": now + ttl,
            "jti": secrets.token_urlsafe(16),
            "iss": self.issuer,
            "aud": self.audience,
        }
        return jwt.encode(claims, self._signing_key, algorithm=self.algorithm)

    def decode(self, token: str, *, kind: str) -> Claims:
        """The claims of a valid token of this kind; InvalidTokenError otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._verifying_key,
                algorithms=[self.algorithm],  # never the one the token names
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": REQUIRED_CLAIMS},
            )
            user_id = int(claims["sub"])
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise InvalidTokenError(f"The {kind} token is invalid or has expired.") from exc
        if claims["type"] != kind or not isinstance(claims["sid"], str):
            raise InvalidTokenError(f"This is not a valid {kind} token.")
        return Claims(user_id=user_id, session_id=claims["sid"])


class TokenStrategy:
    """Login, refresh and logout with token pairs; subclasses decide how a request is checked."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.codec = TokenCodec(settings)
        self.sessions = SessionStore(settings, redis)
        self.access_ttl = settings.access_token_ttl
        self.refresh_ttl = settings.refresh_token_ttl
        self.cookie_secure = settings.cookie_secure
        self._rotate = redis.register_script(ROTATE_SCRIPT)

    def _issue(self, response: Response, user_id: int, session_id: str) -> TokenPair:
        def encode(kind: str, ttl: int) -> str:
            return self.codec.encode(user_id=user_id, session_id=session_id, kind=kind, ttl=ttl)

        pair = TokenPair(
            access_token=encode(ACCESS, self.access_ttl),
            refresh_token=encode(REFRESH, self.refresh_ttl),
            expires_in=self.access_ttl,
        )
        # Also as a cookie for browsers: script cannot read it, and only the refresh
        # route, on this site, ever receives it.
        response.set_cookie(
            REFRESH_COOKIE,
            pair.refresh_token,
            max_age=self.refresh_ttl,
            path=REFRESH_PATH,
            secure=self.cookie_secure,
            httponly=True,
            samesite="strict",
        )
        return pair

    def _clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            REFRESH_COOKIE,
            path=REFRESH_PATH,
            secure=self.cookie_secure,
            httponly=True,
            samesite="strict",
        )

    def principal(self, credential: str | None) -> Principal:
        """The session an access token names, checked by signature and claims alone."""
        if not credential:
            raise InvalidTokenError("Send an access token: Authorization: Bearer <token>.")
        claims = self.codec.decode(credential, kind=ACCESS)
        return Principal(user_id=claims.user_id, session_id=claims.session_id)

    async def login(self, request: Request, response: Response, user_id: int) -> TokenPair:
        session_id = secrets.token_urlsafe(16)
        pair = self._issue(response, user_id, session_id)
        await self.sessions.create(
            session_id,
            user_id,
            {"refresh": digest(pair.refresh_token)},
            ttl=self.refresh_ttl,
            index_ttl=self.refresh_ttl,
        )
        return pair

    async def refresh(self, token: str | None, response: Response) -> TokenPair:
        """A new pair for a current refresh token; a retired one ends its session."""
        if not token:
            raise InvalidTokenError("Send a refresh token, in the body or the cookie.")
        claims = self.codec.decode(token, kind=REFRESH)
        pair = self._issue(response, claims.user_id, claims.session_id)
        outcome = await self._rotate(
            keys=[
                self.sessions.key(claims.session_id),
                self.sessions.index_key(claims.user_id),
            ],
            args=[digest(token), digest(pair.refresh_token), self.refresh_ttl, claims.session_id],
        )
        if outcome == 1:
            return pair
        if outcome == -1:
            log.warning("refresh_token_reused", user_id=claims.user_id, sid=claims.session_id)
            raise InvalidTokenError("This refresh token was already used; the session has ended.")
        raise InvalidTokenError("The session of this refresh token has ended; log in again.")

    async def logout(self, principal: Principal, response: Response) -> None:
        await self.sessions.delete(principal.session_id, principal.user_id)
        self._clear_cookie(response)

    async def logout_everywhere(self, user_id: int, response: Response) -> None:
        await self.sessions.delete_all(user_id)
        self._clear_cookie(response)
