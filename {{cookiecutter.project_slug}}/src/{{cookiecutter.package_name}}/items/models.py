from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base, TimestampMixin
from ..db.columns import Money


class Item(TimestampMixin, Base):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        # Names are unique per owner: a 409 never tells about another user's items.
        # Its index also serves the owner's lookups and the foreign key.
        UniqueConstraint("owner_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The user who created it; deleting a user who has items is refused.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Money)
