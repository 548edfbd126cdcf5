from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base, TimestampMixin
from ..db.columns import CENT, Money

# The largest balance an account may hold: 16 digits, far inside the 64-bit
# integer of cents that stores it, so no sum of two balances can overflow it.
MAX_BALANCE = Decimal("99999999999999.99")
MAX_BALANCE_CENTS = int(MAX_BALANCE / CENT)


class Account(TimestampMixin, Base):
    __tablename__ = "accounts"
    # The last line of defence: even a buggy code path cannot overdraw or overflow.
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint(f"balance <= {MAX_BALANCE_CENTS}", name="balance_at_most_max"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The user who opened it; deleting a user who has accounts is refused.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    balance: Mapped[Decimal] = mapped_column(Money)
