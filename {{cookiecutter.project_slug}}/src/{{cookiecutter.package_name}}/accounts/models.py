from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base, TimestampMixin
from ..db.columns import Money


class Account(TimestampMixin, Base):
    __tablename__ = "accounts"
    # The last line of defence: even a buggy code path cannot overdraw.
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    balance: Mapped[Decimal] = mapped_column(Money)
