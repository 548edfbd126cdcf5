from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from ..cache import CacheDep
from ..cache.http import cached_response
from ..db.columns import MAX_ID
from ..db.session import SessionDep, SessionmakerDep
from . import service
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

router = APIRouter(prefix="/api/v1/items", tags=["items"])

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
IfNoneMatch = Annotated[str | None, Header()]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "The client's copy (If-None-Match) is current."}
}


@router.get("", response_model=ItemPage, responses=NOT_MODIFIED)
async def list_items(
    cache: CacheDep,
    sessions: SessionmakerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """List items, oldest first."""
    page = await service.read_page(cache, sessions, limit=limit, offset=offset)
    return cached_response(page, if_none_match)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(
    data: ItemCreate, session: SessionDep, cache: CacheDep, request: Request, response: Response
) -> ItemRead:
    """Create an item; names are unique."""
    item = await service.create(session, cache, data=data)
    response.headers["Location"] = str(request.url_for("get_item", item_id=item.id))
    return ItemRead.model_validate(item)


@router.get("/{item_id}", response_model=ItemRead, responses=NOT_MODIFIED)
async def get_item(
    item_id: ItemId, cache: CacheDep, sessions: SessionmakerDep, if_none_match: IfNoneMatch = None
) -> Response:
    """Read one item; answers 304 to a current If-None-Match."""
    item = await service.read(cache, sessions, item_id=item_id)
    return cached_response(item, if_none_match)


@router.put("/{item_id}")
async def replace_item(
    item_id: ItemId, data: ItemCreate, session: SessionDep, cache: CacheDep
) -> ItemRead:
    """Replace every field of an item."""
    item = await service.update(session, cache, item_id=item_id, data=data)
    return ItemRead.model_validate(item)


@router.patch("/{item_id}")
async def update_item(
    item_id: ItemId, data: ItemUpdate, session: SessionDep, cache: CacheDep
) -> ItemRead:
    """Change the fields sent, keep the others."""
    item = await service.update(session, cache, item_id=item_id, data=data)
    return ItemRead.model_validate(item)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: ItemId, session: SessionDep, cache: CacheDep) -> None:
    """Delete an item."""
    await service.delete(session, cache, item_id=item_id)
