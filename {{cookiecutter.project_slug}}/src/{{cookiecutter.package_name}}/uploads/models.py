"""The uploads table, shared by every upload strategy (a strategy may add tables of its own)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base, utcnow
from ..db.columns import UTCDateTime


class UploadStatus(StrEnum):
    PENDING = "pending"  # announced or in progress; not readable yet
    COMPLETE = "complete"  # stored, size and type checked


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # The user who uploaded it. Deleting a user with uploads is refused: their objects
    # must be removed from the bucket first, or they would stay there unreferenced.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # generated, never the client's
    filename: Mapped[str] = mapped_column(String(255))  # sanitised display name
    size: Mapped[int | None] = mapped_column(BigInteger)  # bytes, announced or stored
    content_type: Mapped[str | None] = mapped_column(String(100))  # sniffed, never trusted
    # "sha256:<hex>" when the service saw every byte in one pass, else "etag:<S3 ETag>".
    checksum: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=UploadStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
