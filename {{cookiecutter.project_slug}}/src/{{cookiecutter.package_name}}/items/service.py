"""Item logic: the only place that reads or writes items.

Items belong to users, and so do their cache entries: every key and tag names
the owner, so no user is ever served another's cached item or page. Every write
invalidates the item's entry and its owner's cached pages before it returns.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ..cache import Cache, Cached, CacheFamily
from ..db.base import first_as, select_fields
from ..db.session import commit_or_conflict
from ..errors import NotFoundError
from .models import Item
from .schemas import ItemCreate, ItemPage, ItemRead, ItemUpdate

ITEM = CacheFamily("item", ItemRead)
ITEM_PAGE = CacheFamily("item-page", ItemPage)


def lists_tag(owner_id: int) -> str:
    """The tag of every cached page of one owner's items."""
    return f"item-lists:{owner_id}"


OWNED = select_fields(Item, ItemRead).where(
    Item.id == bindparam("item_id"), Item.owner_id == bindparam("owner_id")
)


def _name_taken(name: str) -> str:
    return f"You already have an item named {name!r}."


def _missing(item_id: int) -> NotFoundError:
    # Another user's item is answered like one that does not exist.
    return NotFoundError(f"Item {item_id} does not exist.")


async def get_or_raise(session: AsyncSession, *, item_id: int, owner_id: int) -> Item:
    """The owner's item, for a write."""
    item = await session.get(Item, item_id)
    if item is None or item.owner_id != owner_id:
        raise _missing(item_id)
    return item


async def read(
    cache: Cache, engine: AsyncEngine, *, owner_id: int, item_id: int
) -> Cached[ItemRead]:
    """The owner's item, from the cache or else from engine (a read engine)."""

    async def load() -> ItemRead:
        async with engine.connect() as connection:
            parameters = {"item_id": item_id, "owner_id": owner_id}
            item = await first_as(connection, OWNED, ItemRead, parameters)
        if item is None:
            raise _missing(item_id)
        return item

    return await cache.get_or_load(ITEM.key(owner_id, item_id), load)


async def read_page(
    cache: Cache, engine: AsyncEngine, *, owner_id: int, limit: int, offset: int
) -> Cached[ItemPage]:
    """One page of the owner's items, oldest first, with their total count."""

    async def load() -> ItemPage:
        owned = Item.owner_id == owner_id
        page = select_fields(Item, ItemRead).where(owned).order_by(Item.id)
        async with engine.connect() as connection:
            total = await connection.scalar(select(func.count()).select_from(Item).where(owned))
            rows = await connection.execute(page.limit(limit).offset(offset))
            items = [ItemRead.model_validate(row) for row in rows]
        return ItemPage(items=items, total=total or 0, limit=limit, offset=offset)

    key = ITEM_PAGE.key(owner_id, limit, offset)
    return await cache.get_or_load(key, load, tags=[lists_tag(owner_id)])


async def create(session: AsyncSession, cache: Cache, *, owner_id: int, data: ItemCreate) -> Item:
    item = Item(owner_id=owner_id, **data.model_dump())
    session.add(item)
    await commit_or_conflict(session, _name_taken(data.name))
    await cache.invalidate(tags=[lists_tag(owner_id)])
    return item


async def update(
    session: AsyncSession, cache: Cache, *, item: Item, data: ItemUpdate | ItemCreate
) -> Item:
    """Apply the fields that were sent (all of them for a full replacement)."""
    changes = data.model_dump(exclude_unset=isinstance(data, ItemUpdate))
    for field, value in changes.items():
        setattr(item, field, value)
    await commit_or_conflict(session, _name_taken(str(changes.get("name", item.name))))
    await cache.invalidate(ITEM.key(item.owner_id, item.id), tags=[lists_tag(item.owner_id)])
    return item


async def delete(session: AsyncSession, cache: Cache, *, item: Item) -> None:
    owner_id, item_id = item.owner_id, item.id
    await session.delete(item)
    await session.commit()
    await cache.invalidate(ITEM.key(owner_id, item_id), tags=[lists_tag(owner_id)])
