from __future__ import annotations

from fastapi import APIRouter, Response, status

from ..errors import SERVER_ERRORS, problem_responses
from .dependencies import CurrentSession, StrategyDep

router = APIRouter(
    prefix="/api/v1/auth",
    tags=["auth"],
    responses=problem_responses(401, 422, *SERVER_ERRORS),
)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentSession, response: Response, strategy: StrategyDep) -> None:
    """End the caller's session."""
    await strategy.logout(principal, response)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT)
async def logout_everywhere(
    principal: CurrentSession, response: Response, strategy: StrategyDep
) -> None:
    """End every session of the caller's account, on every device."""
    await strategy.logout_everywhere(principal.user_id, response)
