from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

READY = "ready"
COMPLETED = "completed"
CANCELLED = "cancelled"


# Where a step started, for counting its catalogue deadline from then rather than now (the
# worker dating a task opened before tasks had one: service/worker/undated.py).
STEP_STARTED = "_step_started"


class Task(SQLModel, table=True):
    """A user task of a case's workflow, mirrored so inboxes never load a workflow."""

    __table_args__ = (
        UniqueConstraint("application_id", "engine_task_id"),
        Index("ix_task_inbox", "status", "role", "village_code"),
        Index("ix_task_application_id_completed_by", "application_id", "completed_by"),
        Index("ix_task_status_due_at", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id")
    # Set when the task belongs to a yearly review's workflow instead of the case's own.
    review_id: int | None = Field(default=None, foreign_key="review.id")
    engine_task_id: str = Field(max_length=36)
    spec: str = Field(max_length=100)  # BPMN element id
    # The flow's names of the step: Chinese, and English (service/engine/names.py).
    name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    role: str = Field(max_length=40)  # the lane
    village_code: str = Field(max_length=12)
    priority: bool = False  # copied from the case: priority groups first in every inbox
    status: str = Field(max_length=16)
    claimed_by: int | None = Field(default=None, foreign_key="user_account.id")
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The deadline is the catalogue's (the flow put no timer on the task): the worker escalates
    # the task itself once it is due (service/worker/firing.py escalate_due).
    default_deadline: bool = False
    # When the flow's deadline timer fired and the level above was told (督办).
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    completed_by: int | None = Field(default=None, foreign_key="user_account.id")
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision: str | None = Field(default=None, max_length=16)
    comment: str | None = Field(default=None, max_length=2000)
