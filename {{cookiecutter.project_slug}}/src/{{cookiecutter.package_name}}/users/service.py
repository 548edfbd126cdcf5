"""User logic: the only place that reads or writes users."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from ..db.base import first_as, select_fields
from ..db.session import commit_or_conflict
from ..errors import UnauthorizedError
from .models import User
from .passwords import Passwords
from .schemas import UserCreate, UserRead


class InvalidCredentialsError(UnauthorizedError):
    code = "invalid-credentials"
    title = "Invalid Credentials"


# One answer for an unknown address and a wrong password: it tells nobody which.
WRONG_CREDENTIALS = "The email or password is wrong."
ACCOUNT_GONE = "The account of this session no longer exists."

SIGNED_IN = select_fields(User, UserRead).where(User.id == bindparam("user_id"))


async def get_signed_in(session: AsyncSession, *, user_id: int) -> User:
    """The account a session belongs to, for a write; 401 once it no longer exists."""
    user = await session.get(User, user_id)
    if user is None:
        raise UnauthorizedError(ACCOUNT_GONE)
    return user


async def read_signed_in(connection: AsyncConnection, *, user_id: int) -> UserRead:
    """What the caller may read of their account; 401 once it no longer exists."""
    user = await first_as(connection, SIGNED_IN, UserRead, {"user_id": user_id})
    if user is None:
        raise UnauthorizedError(ACCOUNT_GONE)
    return user


async def get_by_email(session: AsyncSession, *, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def register(session: AsyncSession, passwords: Passwords, *, data: UserCreate) -> User:
    """Create a user; an address already registered is a 409."""
    user = User(email=data.email, password_hash=await passwords.hash(data.password))
    session.add(user)
    await commit_or_conflict(session, "A user with this email address already exists.")
    return user


async def authenticate(
    sessions: async_sessionmaker[AsyncSession], passwords: Passwords, *, email: str, password: str
) -> User:
    """The user these credentials belong to; rehashes when the hash parameters changed.

    An unknown address costs the same hash verification as a wrong password and
    raises the same error. No pooled connection is held while the hash is checked:
    logins waiting for a core would otherwise take the pool from every other request.
    """
    async with sessions() as session:
        user = await get_by_email(session, email=email)
    valid, new_hash = await passwords.verify(password, user.password_hash if user else None)
    if user is None or not valid:
        raise InvalidCredentialsError(WRONG_CREDENTIALS)
    if new_hash is not None:
        async with sessions() as session:
            await set_password_hash(session, user=user, password_hash=new_hash)
    return user


async def new_password_hash(passwords: Passwords, *, user: User, current: str, new: str) -> str:
    """The hash of the new password, once the current one is checked."""
    valid, _ = await passwords.verify(current, user.password_hash)
    if not valid:
        raise InvalidCredentialsError("The current password is wrong.")
    return await passwords.hash(new)


async def set_password_hash(session: AsyncSession, *, user: User, password_hash: str) -> None:
    """Store a new hash; user may belong to a session closed meanwhile."""
    await session.execute(
        update(User).where(User.id == user.id).values(password_hash=password_hash)
    )
    await session.commit()
