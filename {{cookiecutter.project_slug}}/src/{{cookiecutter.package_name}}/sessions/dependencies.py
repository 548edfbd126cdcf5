"""Dependencies of routes that need the caller's session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..services import ServicesDep
from .base import Principal
from .strategy import Credential, Strategy


# Dependencies are async even where they need not be: FastAPI runs a plain
# function in a worker thread, a hop that costs more than the function.
async def get_strategy(services: ServicesDep) -> Strategy:
    return services.sessions


StrategyDep = Annotated[Strategy, Depends(get_strategy)]


async def current_session(
    request: Request, credential: Credential, strategy: StrategyDep
) -> Principal:
    """The caller's session; 401 without valid credentials."""
    return await strategy.authenticate(request, credential)


CurrentSession = Annotated[Principal, Depends(current_session)]
