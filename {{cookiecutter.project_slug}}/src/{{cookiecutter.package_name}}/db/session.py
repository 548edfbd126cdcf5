"""Per-request database sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..errors import ConflictError
from ..services import ServicesDep


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """A session for one request; what the request did not commit is rolled back."""
    async with services.sessionmaker() as session:
        yield session


async def get_read_connection(services: ServicesDep) -> AsyncIterator[AsyncConnection]:
    """A connection for a request that only reads (db/engine.py, create_read_engine)."""
    async with services.read_engine.connect() as connection:
        yield connection


# scope="function": the session closes, and its connection returns to the pool,
# when the route function returns, not after the response has been sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# A route takes one or the other: both would hold two connections.
ReadConnectionDep = Annotated[AsyncConnection, Depends(get_read_connection, scope="function")]


async def commit_or_conflict(session: AsyncSession, conflict: str) -> None:
    """Commit, answering a unique or check constraint violation as a 409 conflict."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ConflictError(conflict) from exc
