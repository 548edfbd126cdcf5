from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from ..cache.dependencies import CacheDep
from ..cache.http import IF_NONE_MATCH, cached_response
from ..db.columns import MAX_ID
from ..db.session import SessionDep
from ..errors import SERVER_ERRORS, problem_responses
from ..services import ServicesDep
from ..sessions.dependencies import CurrentSession
from ..users.dependencies import CurrentUser
from . import service
from .dependencies import ItemId, OwnedItem
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

router = APIRouter(
    prefix="/api/v1/items",
    tags=["items"],
    responses=problem_responses(401, 422, *SERVER_ERRORS),
)

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "The client's copy (If-None-Match) is current."}
}

# Cached reads are the hottest routes: they take the services whole (already
# solved for the session check) and If-None-Match from the request, instead of
# more dependencies and a header parameter, which cost FastAPI about 8 µs each per
# request (a cache hit takes 3).
# They know the caller from the session alone: the owner's id is part of every
# cache key, and a user who no longer exists owns nothing.


@router.get("", response_model=ItemPage, responses=NOT_MODIFIED, openapi_extra=IF_NONE_MATCH)
async def list_items(
    request: Request,
    principal: CurrentSession,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    # No table has more rows than ids.
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """List the caller's items, oldest first."""
    page = await service.read_page(
        services.cache,
        services.read_engine,
        owner_id=principal.user_id,
        limit=limit,
        offset=offset,
    )
    return cached_response(page, request.headers.get("if-none-match"))


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 413))
async def create_item(
    data: ItemCreate,
    user: CurrentUser,
    session: SessionDep,
    cache: CacheDep,
    request: Request,
    response: Response,
) -> ItemRead:
    """Create an item of the caller's; each of their items has its own name."""
    item = await service.create(session, cache, owner_id=user.id, data=data)
    response.headers["Location"] = str(request.url_for("get_item", item_id=item.id))
    return ItemRead.model_validate(item)


@router.get(
    "/{item_id:int}",
    response_model=ItemRead,
    responses={**NOT_MODIFIED, **problem_responses(404)},
    openapi_extra=IF_NONE_MATCH,
)
async def get_item(
    item_id: ItemId, principal: CurrentSession, services: ServicesDep, request: Request
) -> Response:
    """Read one of the caller's items; answers 304 to a current If-None-Match."""
    item = await service.read(
        services.cache, services.read_engine, owner_id=principal.user_id, item_id=item_id
    )
    return cached_response(item, request.headers.get("if-none-match"))


# The write routes get the item from OwnedItem, through the request's one session.


@router.put("/{item_id:int}", responses=problem_responses(404, 409, 413))
async def replace_item(
    item: OwnedItem, data: ItemCreate, session: SessionDep, cache: CacheDep
) -> ItemRead:
    """Replace every field of one of the caller's items."""
    return ItemRead.model_validate(await service.update(session, cache, item=item, data=data))


@router.patch("/{item_id:int}", responses=problem_responses(404, 409, 413))
async def update_item(
    item: OwnedItem, data: ItemUpdate, session: SessionDep, cache: CacheDep
) -> ItemRead:
    """Change the fields sent, keep the others."""
    return ItemRead.model_validate(await service.update(session, cache, item=item, data=data))


@router.delete(
    "/{item_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404)
)
async def delete_item(item: OwnedItem, session: SessionDep, cache: CacheDep) -> None:
    """Delete one of the caller's items."""
    await service.delete(session, cache, item=item)
