"""Events in a recipient's life 扶助对象情况变化: a parent's death, the household moving away, or
the eligibility table refusing a year at the annual review.

A caseworker records an event with its evidence; a county approver other than the recorder
confirms or rejects it. Only a confirmation changes what is paid (``service.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

DEATH = "death"
MOVED_AWAY = "moved_away"
# Flagged by the eligibility table at an annual review, not recorded by a person.
NO_LONGER_ELIGIBLE = "no_longer_eligible"
KINDS = (DEATH, MOVED_AWAY, NO_LONGER_ELIGIBLE)
APPLICANT, SPOUSE = "applicant", "spouse"

PENDING = "pending"
CONFIRMED = "confirmed"
REJECTED = "rejected"


class LifeEvent(SQLModel, table=True):
    """One event of an enrolled household, and the county's decision on it."""

    __tablename__ = "life_event"
    __table_args__ = (
        # One event waits for the county per case at a time: two recordings racing get one 409.
        Index(
            "uq_life_event_pending_application",
            "application_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = Field(max_length=24)
    person: str | None = Field(default=None, max_length=16)  # a death: applicant or spouse
    event_date: date
    # The first year (period) no longer paid as before: the year after a death or a move; the
    # review's own year when the eligibility table refused it.
    from_year: int
    note: str = Field(default="", max_length=2000)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    review_id: int | None = Field(default=None, foreign_key="review.id")
    status: str = Field(default=PENDING, max_length=16)
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")  # None: a table
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_comment: str | None = Field(default=None, max_length=2000)
    # What the confirmation did: parents before/after, ended, payouts cancelled or amended,
    # recoveries opened, reviews ended.
    effects: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ReviewOutcome(SQLModel, table=True):
    """The eligibility table's outcome for a household at its annual review, with that year's
    facts (the mother's age reached in the year, the child's status)."""

    __tablename__ = "review_outcome"

    review_id: int = Field(primary_key=True, foreign_key="review.id")
    application_id: int = Field(foreign_key="application.id", index=True)
    year: int
    eligibility: str = Field(max_length=16)
    reason: str = Field(default="", max_length=2000)
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    evaluated_at: datetime = Field(sa_type=UTCDateTime)
