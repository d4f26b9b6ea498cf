from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from service.text import StoredJson, StoredText, free_text


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
    before: StoredJson
    after: StoredJson
    comment: StoredText
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


class RevealRequest(BaseModel):
    # Stripped and counted first, then checked and masked as free text.
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=5, max_length=500),
        AfterValidator(free_text),
    ]


class RevealedCase(BaseModel):
    """A case's personal numbers in full: only for a county auditor, each time audited."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    village_code: str
    applicant_name: str
    applicant_id_number: str
    spouse_name: str | None
    spouse_id_number: str | None
    bank_card: str
    phone: str | None
