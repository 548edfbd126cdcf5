"""Item logic: the only place that reads or writes items."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db.session import commit_or_conflict
from ..errors import NotFoundError
from .models import Item
from .schemas import ItemCreate, ItemUpdate


def _name_taken(name: str) -> str:
    return f"An item named {name!r} already exists."


async def get_or_raise(session: AsyncSession, *, item_id: int) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFoundError(f"Item {item_id} does not exist.")
    return item


async def list_page(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[Item], int]:
    """One page of items, oldest first, and the total count."""
    total = await session.scalar(select(func.count()).select_from(Item))
    rows = await session.scalars(select(Item).order_by(Item.id).limit(limit).offset(offset))
    return list(rows), total or 0


async def create(session: AsyncSession, *, data: ItemCreate) -> Item:
    item = Item(**data.model_dump())
    session.add(item)
    await commit_or_conflict(session, _name_taken(data.name))
    return item


async def update(session: AsyncSession, *, item_id: int, data: ItemUpdate | ItemCreate) -> Item:
    """Apply the fields that were sent (all of them for a full replacement)."""
    item = await get_or_raise(session, item_id=item_id)
    changes = data.model_dump(exclude_unset=isinstance(data, ItemUpdate))
    for field, value in changes.items():
        setattr(item, field, value)
    await commit_or_conflict(session, _name_taken(str(changes.get("name", item.name))))
    return item


async def delete(session: AsyncSession, *, item_id: int) -> None:
    item = await get_or_raise(session, item_id=item_id)
    await session.delete(item)
    await session.commit()
