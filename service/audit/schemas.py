from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    county: str
    seq: int
    at: datetime
    actor: str | None
    role: str | None
    region: str | None
    action: str
    application_id: int | None
    task_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    comment: str | None
    request_id: str | None
    prev_hash: str
    hash: str


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: int | None


class VerifyReport(BaseModel):
    ok: bool
    events: int
    first_broken: dict[str, Any] | None
    counties: list[str]
