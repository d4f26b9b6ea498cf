from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.text import FreeText

LifeEventStatus = Literal["pending", "confirmed", "rejected"]


class Decision(BaseModel):
    """The county approver's word on an event: a confirmation's optional note, a rejection's
    reason (required)."""

    model_config = ConfigDict(extra="forbid")

    comment: FreeText = Field(default="", max_length=2000)


class LifeEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    application_id: int
    kind: str  # death, moved_away, no_longer_eligible (flagged by the annual review)
    person: str | None  # a death: applicant or spouse
    event_date: dt.date
    from_year: int  # the first year no longer paid as before
    note: str
    document_id: int | None
    review_id: int | None
    status: str
    recorded_by: int | None  # None: the eligibility table at an annual review
    recorded_at: dt.datetime
    decided_by: int | None
    decided_at: dt.datetime | None
    decision_comment: str | None
    effects: dict[str, Any]


class ReviewOutcomeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    review_id: int
    application_id: int
    year: int
    eligibility: str
    reason: str
    facts: dict[str, Any]
    evaluated_at: dt.datetime
