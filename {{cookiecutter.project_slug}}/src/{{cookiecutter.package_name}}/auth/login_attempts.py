"""Failed logins counted per email and per client IP, registrations per client IP.

Both in fixed windows in Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Request

from ..errors import TooManyRequestsError, UnauthorizedError
from ..redis_client import RedisClient, hash_tagged, redis_key
from ..sessions.base import digest
from .settings import LoginLimitSettings

# Counts an attempt against every key's limit (KEYS[i] against ARGV[i + 1]; ARGV[1]
# is the window) unless one is already at its limit: then nothing is counted and
# the answer is the seconds until that window ends. One atomic step, so attempts
# made at the same moment cannot all pass a check that none has counted yet.
BEGIN_ATTEMPT = """
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i + 1]) then
    return math.max(redis.call('TTL', key), 1)
  end
end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 0
"""

# Takes an attempt back from every key (never below zero, the windows kept);
# with ARGV[1] = 1 the first key, the email's, is reset instead.
TAKE_BACK_ATTEMPT = """
for i, key in ipairs(KEYS) do
  if i == 1 and ARGV[1] == '1' then
    redis.call('DEL', key)
  elseif tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 1
"""


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

    The window starts with the first attempt counted and the count resets when it
    ends; a successful login resets the email's count, never the IP's.

    Registrations are counted per IP too, successful or not: each costs a password
    hash, and each answer tells whether an address has an account.
    """

    def __init__(self, settings: LoginLimitSettings, redis: RedisClient) -> None:
        self.redis = redis
        self.window = settings.login_failure_window
        self.limits = (settings.login_max_failures_per_email, settings.login_max_failures_per_ip)
        # One hash tag for every failure counter: a login counts against an email's
        # and an IP's in one script, so on a Redis Cluster they must share a node.
        self._prefix = hash_tagged(settings, "login-failures")
        self._begin = redis.register_script(BEGIN_ATTEMPT)
        self._take_back = redis.register_script(TAKE_BACK_ATTEMPT)
        self.registration_window = settings.registration_window
        self.registration_limit = settings.registration_max_per_ip
        self._registration_prefix = redis_key(settings, "registrations", "ip")

    def _keys(self, email: str, ip: str) -> list[str]:
        # Addresses are hashed: no email appears in a Redis key.
        return [f"{self._prefix}:email:{digest(email)}", f"{self._prefix}:ip:{ip}"]

    @asynccontextmanager
    async def attempt(self, *, email: str, ip: str) -> AsyncIterator[None]:
        """Count a login attempt as a failure while it runs; 429 once over a limit.

        Counting comes first, so no more attempts than the limit are ever checked,
        however many arrive at once. Refused credentials (UnauthorizedError) stay
        counted; success resets the email's count and takes the attempt back from
        the IP's; any other error (say the database is down) takes it back from both.
        """
        keys = self._keys(email, ip)
        retry_after = int(await self._begin(keys=keys, args=[self.window, *self.limits]))
        if retry_after:
            raise TooManyLoginAttemptsError(
                "Too many failed logins; try again later.", retry_after=retry_after
            )
        try:
            yield
        except UnauthorizedError:
            raise
        except Exception:
            await self._take_back(keys=keys, args=[0])
            raise
        await self._take_back(keys=keys, args=[1])

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
