"""Password rules and argon2id hashing, off the event loop."""

from __future__ import annotations

import os
import secrets
from functools import cache
from importlib import resources

import anyio
from anyio import to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from .settings import PasswordSettings

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS = "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of leaked passwords of 12 characters or more, lower case."""
    text = resources.files(__package__).joinpath(COMMON_PASSWORDS).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def refuse_common_password(password: str) -> str:
    if password.lower() in common_passwords():
        msg = "this password is too common; choose another"
        raise ValueError(msg)
    return password


class Passwords:
    """Hashes and verifies passwords with argon2id in worker threads.

    Each hash takes tens of milliseconds of CPU and PASSWORD_HASH_MEMORY_KIB of
    memory, so at most one per core runs at a time; more would only queue inside
    the CPU and use more memory.
    """

    def __init__(self, settings: PasswordSettings) -> None:
        self._hasher = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.password_hash_time_cost,
                    memory_cost=settings.password_hash_memory_kib,
                ),
            )
        )
        self._limiter = anyio.CapacityLimiter(os.cpu_count() or 1)
        # Made up front: the first unknown address must not take longer than the next.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """Whether password matches, and a new hash when the parameters have changed.

        Without a hash (no such user) a dummy hash is verified instead, so the
        answer takes as long as for a wrong password and does not tell whether
        the account exists.
        """
        if password_hash is None:
            await to_thread.run_sync(
                self._hasher.verify, password, self._dummy_hash, limiter=self._limiter
            )
            return False, None
        return await to_thread.run_sync(
            self._hasher.verify_and_update, password, password_hash, limiter=self._limiter
        )
