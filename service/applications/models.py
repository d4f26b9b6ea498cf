from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

IN_PROGRESS = "in_progress"
RETURNED = "returned"
# County-approved and on public notice 公示; held while the county examines an objection.
NOTICE = "notice"
HELD = "held"
APPROVED = "approved"
PAID = "paid"
ENROLLED = "enrolled"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
REVOKED = "revoked"
ENDED = "ended"  # a special-assistance enrolment that ended (the parent died, no longer eligible)
# A case in one of these states no longer holds the household's claim on the program.
RELEASES_CLAIM = (REJECTED, WITHDRAWN)
FINAL = (PAID, ENROLLED, REJECTED, WITHDRAWN, REVOKED, ENDED)


class Application(SQLModel, table=True):
    """A case: one household's application to one program, and its workflow instance."""

    __table_args__ = (
        UniqueConstraint("submitted_by", "idempotency_key"),
        Index("ix_application_village_code_id", "village_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_code: str = Field(foreign_key="program.code", max_length=64)
    flow_version_id: int = Field(foreign_key="flow_version.id")
    # The village the case belongs to in the current region tree: every jurisdiction check
    # reads it (a prefix of the user's jurisdiction). A merger of villages or townships moves
    # it to the successor village; ``submitted_village_code`` keeps the code the case was
    # submitted under, for the record and for reports by the old places.
    village_code: str = Field(foreign_key="region.code", max_length=12)
    submitted_village_code: str = Field(max_length=12, index=True)
    county_code: str = Field(max_length=6)
    status: str = Field(max_length=16, index=True)
    applicant_name: str = Field(max_length=100)
    applicant_id_number: str = Field(max_length=18)
    spouse_name: str | None = Field(default=None, max_length=100)
    spouse_id_number: str | None = Field(default=None, max_length=18)
    bank_card: str = Field(max_length=19)
    # The applicant's mainland mobile number, for messages about the case; shown only masked.
    phone: str | None = Field(default=None, max_length=11)
    event_kind: str = Field(max_length=32)
    event_date: date
    # Facts the eligibility decision reads besides the people and the event.
    relation: str = Field(default="parent", max_length=16)  # the applicant's, to the child
    certificate_holder: bool = False  # 独生子女父母光荣证
    two_daughters_sterilised: bool = False  # two-daughter family with long-term sterilisation
    # The caseworker confirmed at submission that the household is a family-planning family
    # 计划生育家庭 and that they saw the originals (required where the program asks for it).
    family_planning_confirmed: bool = False
    # The decision's outcome at submission (and county approval): eligibility, reason.
    eligibility: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # Priority groups of the seed sort first in every inbox.
    priority: bool = False
    # Special assistance: parents receiving the yearly benefit (both, or one after a death).
    eligible_parents: int = 0
    enrolled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    submitted_by: int = Field(foreign_key="user_account.id")
    idempotency_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # The workflow instance's own state (no spec), and its optimistic-lock counter.
    workflow_state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    version: int = 1
    # When the workflow's earliest timer is due (a deadline); the worker fires it then.
    next_timer_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Failed tries of the timer since it last fired (retried with backoff, then an incident).
    timer_attempts: int = 0


class HouseholdClaim(SQLModel, table=True):
    """What identifies a household while one of its cases holds a once-only program.

    One row per identity per program: ``id:<resident ID>`` of the applicant and of the spouse,
    and ``card:<bank card>`` of the household's card. A program paid once per household and
    event (``Program.once_per == "household_event"``) adds the event to each key:
    ``id:<resident ID>|<event kind>|<event date>``. The primary key makes the database refuse
    a second live case that shares any of them, even when two submissions race; the rows are
    removed when the case is rejected or withdrawn.
    """

    __tablename__ = "household_claim"

    program_code: str = Field(primary_key=True, foreign_key="program.code", max_length=64)
    claim_key: str = Field(primary_key=True, max_length=80)
    application_id: int = Field(foreign_key="application.id", index=True)


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = Field(max_length=40)
    sha256: str = Field(max_length=64)
    size: int
    content_type: str = Field(max_length=40)
    filename: str = Field(max_length=255)
    uploaded_by: int = Field(foreign_key="user_account.id")
    uploaded_at: datetime = Field(sa_type=UTCDateTime)


class Review(SQLModel, table=True):
    """The yearly re-certification 年审 of an enrolled household: its own workflow instance."""

    __table_args__ = (UniqueConstraint("application_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id")
    year: int
    flow_version_id: int = Field(foreign_key="flow_version.id")
    status: str = Field(max_length=16)  # in_progress, enrolled (continues), ended
    workflow_state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # As for cases: the review workflow's earliest timer (a step's deadline), and failed tries.
    next_timer_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    timer_attempts: int = 0
