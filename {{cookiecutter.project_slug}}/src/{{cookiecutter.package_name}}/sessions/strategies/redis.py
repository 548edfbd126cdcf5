"""redis: an opaque session id in a cookie, the session itself in Redis.

The cookie holds 32 random bytes; Redis keys hold only their SHA-256, so a
dump of Redis cannot be replayed as cookies. Sessions expire after SESSION_TTL
idle seconds (each request renews them) and SESSION_MAX_AGE after login at the
latest. Logging out deletes the session at once. Unsafe requests (POST, PUT,
PATCH, DELETE) must echo the session's CSRF token in the X-CSRF-Token header:
a cross-site form or script cannot read it.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import Request, Response, Security
from fastapi.security import APIKeyCookie
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from ...errors import ForbiddenError, UnauthorizedError
from ...settings import Settings
from ..base import Principal, SessionStore, digest

__all__ = ["Credential", "LoginResponse", "Strategy"]

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="The session cookie set by login."
)
# What a request presents: the session cookie.
Credential = Annotated[str | None, Security(session_cookie)]


class CsrfError(ForbiddenError):
    code = "csrf-failed"
    title = "CSRF Check Failed"


class SessionStarted(BaseModel):
    csrf_token: str = Field(description=f"Send it in {CSRF_HEADER} with unsafe requests.")
    expires_in: int = Field(description="Idle seconds after which the session ends.")


LoginResponse = SessionStarted


class Strategy:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.sessions = SessionStore(settings, redis)
        self.redis = redis
        self.ttl = settings.session_ttl
        self.max_age = settings.session_max_age
        self.cookie_secure = settings.cookie_secure

    async def login(self, request: Request, response: Response, user_id: int) -> SessionStarted:
        """A new session id at every login: one planted before login is never reused."""
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:
            await self.redis.delete(self.sessions.key(digest(previous)))
        token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await self.sessions.create(
            digest(token),
            user_id,
            {"user_id": str(user_id), "csrf": csrf_token, "created_at": str(int(time.time()))},
            ttl=self.ttl,
            index_ttl=self.max_age,
        )
        for name, value, http_only in (
            (SESSION_COOKIE, token, True),
            (CSRF_COOKIE, csrf_token, False),  # readable by the site's own scripts
        ):
            response.set_cookie(
                name,
                value,
                max_age=self.max_age,
                path="/",
                secure=self.cookie_secure,
                httponly=http_only,
                samesite="lax",
            )
        return SessionStarted(csrf_token=csrf_token, expires_in=self.ttl)

    async def authenticate(self, request: Request, credential: str | None) -> Principal:
        if not credential:
            raise UnauthorizedError("Log in first: this request has no session cookie.")
        session_id = digest(credential)
        key = self.sessions.key(session_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, self.ttl, xx=True)  # sliding expiry; never revives a deleted one
            session, _ = await pipe.execute()
        if not session:
            raise UnauthorizedError("The session has expired or ended; log in again.")
        user_id = int(session[b"user_id"])
        if time.time() - int(session[b"created_at"]) > self.max_age:
            await self.sessions.delete(session_id, user_id)
            raise UnauthorizedError("The session has reached its maximum age; log in again.")
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "").encode()
            if not secrets.compare_digest(sent, session[b"csrf"]):
                raise CsrfError(f"Send the session's CSRF token in the {CSRF_HEADER} header.")
        return Principal(user_id=user_id, session_id=session_id)

    def _clear_cookies(self, response: Response) -> None:
        for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
            response.delete_cookie(
                name, path="/", secure=self.cookie_secure, httponly=http_only, samesite="lax"
            )

    async def logout(self, principal: Principal, response: Response) -> None:
        await self.sessions.delete(principal.session_id, principal.user_id)
        self._clear_cookies(response)

    async def logout_everywhere(self, user_id: int, response: Response) -> None:
        await self.sessions.delete_all(user_id)
        self._clear_cookies(response)
