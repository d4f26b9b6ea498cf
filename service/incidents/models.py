from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

OPEN = "open"
RETRIED = "retried"


class Incident(SQLModel, table=True):
    """A background job that failed its last try: shown to admins, who can retry it.

    The job itself (a case's timer, a message) stays where it was, unchanged by the failed
    tries: each try was its own transaction and rolled back.
    """

    __table_args__ = (Index("ix_incident_status_kind_ref", "status", "kind", "ref_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # "timer", "notification", …
    ref_id: int  # the id of the failed thing within its kind (a case, a message)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    error: str = Field(sa_type=Text)  # masked: no full ID, card or phone number
    attempts: int
    status: str = Field(default=OPEN, max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)
    retried_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retried_by: int | None = Field(default=None, foreign_key="user_account.id")
