"""Item logic: the only place that reads or writes items.

Reads go through the cache; every write invalidates the item's entry and every
cached page (tag "items") before it returns.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..cache import Cache, Cached, CacheFamily
from ..db.session import commit_or_conflict
from ..errors import NotFoundError
from .models import Item
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

ITEM = CacheFamily("item", ItemRead)
ITEM_PAGE = CacheFamily("item-page", ItemPage)
LISTS_TAG = "item-lists"


def _name_taken(name: str) -> str:
    return f"An item named {name!r} already exists."


async def get_or_raise(session: AsyncSession, *, item_id: int) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFoundError(f"Item {item_id} does not exist.")
    return item


async def read(
    cache: Cache, sessions: async_sessionmaker[AsyncSession], *, item_id: int
) -> Cached[ItemRead]:
    async def load() -> ItemRead:
        async with sessions() as session:
            return ItemRead.model_validate(await get_or_raise(session, item_id=item_id))

    return await cache.get_or_load(ITEM.key(item_id), load)


async def read_page(
    cache: Cache, sessions: async_sessionmaker[AsyncSession], *, limit: int, offset: int
) -> Cached[ItemPage]:
    """One page of items, oldest first, with the total count."""

    async def load() -> ItemPage:
        async with sessions() as session:
            total = await session.scalar(select(func.count()).select_from(Item))
            rows = await session.scalars(select(Item).order_by(Item.id).limit(limit).offset(offset))
            items = [ItemRead.model_validate(item) for item in rows]
        return ItemPage(items=items, total=total or 0, limit=limit, offset=offset)

    return await cache.get_or_load(ITEM_PAGE.key(limit, offset), load, tags=[LISTS_TAG])


async def create(session: AsyncSession, cache: Cache, *, data: ItemCreate) -> Item:
    item = Item(**data.model_dump())
    session.add(item)
    await commit_or_conflict(session, _name_taken(data.name))
    await cache.invalidate(tags=[LISTS_TAG])
    return item


async def update(
    session: AsyncSession, cache: Cache, *, item_id: int, data: ItemUpdate | ItemCreate
) -> Item:
    """Apply the fields that were sent (all of them for a full replacement)."""
    item = await get_or_raise(session, item_id=item_id)
    changes = data.model_dump(exclude_unset=isinstance(data, ItemUpdate))
    for field, value in changes.items():
        setattr(item, field, value)
    await commit_or_conflict(session, _name_taken(str(changes.get("name", item.name))))
    await cache.invalidate(ITEM.key(item_id), tags=[LISTS_TAG])
    return item


async def delete(session: AsyncSession, cache: Cache, *, item_id: int) -> None:
    item = await get_or_raise(session, item_id=item_id)
    await session.delete(item)
    await session.commit()
    await cache.invalidate(ITEM.key(item_id), tags=[LISTS_TAG])
