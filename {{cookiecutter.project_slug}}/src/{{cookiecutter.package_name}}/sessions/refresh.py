from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from .dependencies import StrategyDep
from .tokens import REFRESH_COOKIE, RefreshRequest, TokenPair

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/refresh")
async def refresh(
    request: Request,
    response: Response,
    strategy: StrategyDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> TokenPair:
    """Exchange a refresh token (body, else cookie) for a new pair; the old one is retired."""
    token = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    return await strategy.refresh(token, response)
