from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from .models import UploadStatus


class UploadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    size: int | None
    content_type: str | None
    checksum: str | None
    status: UploadStatus
    created_at: datetime
    # A short-lived presigned GET; only for complete uploads.
    download_url: str | None = None
