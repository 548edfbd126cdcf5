"""Failed logins counted per email and per client IP, registrations per client IP.

Both in fixed windows in Redis.
"""

from __future__ import annotations

from fastapi import Request
from redis.asyncio import Redis

from ..errors import TooManyRequestsError
from ..redis_client import redis_key
from ..settings import Settings
from .base import digest


class TooManyLoginAttemptsError(TooManyRequestsError):
    code = "too-many-login-attempts"
    title = "Too Many Login Attempts"


class TooManyRegistrationsError(TooManyRequestsError):
    code = "too-many-registrations"
    title = "Too Many Registrations"


def client_ip(request: Request) -> str:
    """The caller's address (behind a proxy, as FORWARDED_ALLOW_IPS lets uvicorn see it)."""
    return request.client.host if request.client else "unknown"


class LoginAttempts:
    """Refuses logins (429) once an email or an IP has failed too often in the window.

    The window starts with the first failure and the count resets when it ends;
    a successful login resets the email's count, never the IP's. Addresses are
    hashed: no email appears in a Redis key.

    Registrations are counted per IP too, successful or not: each costs a password
    hash, and each answer tells whether an address has an account.
    """

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.redis = redis
        self.window = settings.login_failure_window
        self.limits = (settings.login_max_failures_per_email, settings.login_max_failures_per_ip)
        self._prefix = redis_key(settings, "login-failures")
        self.registration_window = settings.registration_window
        self.registration_limit = settings.registration_max_per_ip
        self._registration_prefix = redis_key(settings, "registrations", "ip")

    def _email_key(self, email: str) -> str:
        return f"{self._prefix}:email:{digest(email)}"

    def _keys(self, email: str, ip: str) -> tuple[str, str]:
        return self._email_key(email), f"{self._prefix}:ip:{ip}"

    async def check(self, *, email: str, ip: str) -> None:
        """Raise TooManyLoginAttemptsError while the email or the IP is over its limit."""
        keys = self._keys(email, ip)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            counts_and_ttls = await pipe.execute()
        for index, limit in enumerate(self.limits):
            count, ttl = counts_and_ttls[2 * index : 2 * index + 2]
            if count is not None and int(count) >= limit:
                raise TooManyLoginAttemptsError(
                    "Too many failed logins; try again later.", retry_after=max(int(ttl), 1)
                )

    async def record_failure(self, *, email: str, ip: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self._keys(email, ip):
                pipe.set(key, 0, ex=self.window, nx=True)  # the window starts now
                pipe.incr(key)
            await pipe.execute()

    async def reset_email(self, *, email: str) -> None:
        await self.redis.delete(self._email_key(email))

    async def count_registration(self, *, ip: str) -> None:
        """Count a registration from ip; TooManyRegistrationsError once it is over the limit."""
        key = f"{self._registration_prefix}:{ip}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=self.registration_window, nx=True)  # the window starts now
            pipe.incr(key)
            pipe.ttl(key)
            _, count, ttl = await pipe.execute()
        if int(count) > self.registration_limit:
            raise TooManyRegistrationsError(
                "Too many registrations from this address; try again later.",
                retry_after=max(int(ttl), 1),
            )
