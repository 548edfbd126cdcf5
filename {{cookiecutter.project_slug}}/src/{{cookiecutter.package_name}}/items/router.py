from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from ..db.columns import MAX_ID
from ..db.session import SessionDep
from . import service
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

router = APIRouter(prefix="/api/v1/items", tags=["items"])

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("")
async def list_items(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ItemPage:
    """List items, oldest first."""
    items, total = await service.list_page(session, limit=limit, offset=offset)
    return ItemPage(
        items=[ItemRead.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(
    data: ItemCreate, session: SessionDep, request: Request, response: Response
) -> ItemRead:
    """Create an item; names are unique."""
    item = await service.create(session, data=data)
    response.headers["Location"] = str(request.url_for("get_item", item_id=item.id))
    return ItemRead.model_validate(item)


@router.get("/{item_id}")
async def get_item(item_id: ItemId, session: SessionDep) -> ItemRead:
    """Read one item."""
    return ItemRead.model_validate(await service.get_or_raise(session, item_id=item_id))


@router.put("/{item_id}")
async def replace_item(item_id: ItemId, data: ItemCreate, session: SessionDep) -> ItemRead:
    """Replace every field of an item."""
    return ItemRead.model_validate(await service.update(session, item_id=item_id, data=data))


@router.patch("/{item_id}")
async def update_item(item_id: ItemId, data: ItemUpdate, session: SessionDep) -> ItemRead:
    """Change the fields sent, keep the others."""
    return ItemRead.model_validate(await service.update(session, item_id=item_id, data=data))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: ItemId, session: SessionDep) -> None:
    """Delete an item."""
    await service.delete(session, item_id=item_id)
