"""The flows of signing up, logging in and changing a password."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..sessions.strategy import Strategy
from ..users import service as users_service
from ..users.models import User
from ..users.passwords import Passwords
from ..users.schemas import UserCreate
from .login_attempts import LoginAttempts


async def sign_up(
    session: AsyncSession,
    passwords: Passwords,
    attempts: LoginAttempts,
    *,
    data: UserCreate,
    ip: str,
) -> User:
    """Create an account, counted against the client's registration limit (429)."""
    await attempts.count_registration(ip=ip)
    return await users_service.register(session, passwords, data=data)


async def log_in(
    sessions: async_sessionmaker[AsyncSession],
    passwords: Passwords,
    attempts: LoginAttempts,
    *,
    email: str,
    password: str,
    ip: str,
) -> User:
    """The account these credentials open; repeated failures are refused (429)."""
    async with attempts.attempt(email=email, ip=ip):
        return await users_service.authenticate(sessions, passwords, email=email, password=password)


async def change_password(
    session: AsyncSession,
    passwords: Passwords,
    attempts: LoginAttempts,
    strategy: Strategy,
    *,
    user: User,
    current: str,
    new: str,
    ip: str,
) -> int:
    """Store a new password once the current one is checked; returns the sessions ended.

    A wrong current password counts as a failed login, so a stolen session cannot
    be used to guess the password.
    """
    # The account is read: its connection goes back to the pool while hashing.
    await session.close()
    async with attempts.attempt(email=user.email, ip=ip):
        new_hash = await users_service.new_password_hash(
            passwords, user=user, current=current, new=new
        )
    # Sessions end before the new hash is stored: without Redis the change fails
    # as a whole (503) instead of leaving the old sessions alive. Once more after:
    # a login with the old password in between would otherwise survive.
    ended = await strategy.end_sessions(user.id)
    await users_service.set_password_hash(session, user=user, password_hash=new_hash)
    return ended + await strategy.end_sessions(user.id)
