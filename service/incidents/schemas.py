from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class IncidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    ref_id: int
    application_id: int | None
    error: str
    attempts: int
    status: str
    created_at: datetime
    retried_at: datetime | None
