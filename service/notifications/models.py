"""The outbox: messages to people, written with the state change that causes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

# Events that concern a person. Applicants hear about their case; staff about their work.
RECEIVED = "received"
RETURNED = "returned"
APPROVED = "approved"
REJECTED = "rejected"
PAID = "paid"
ENROLLED = "enrolled"
REVOKED = "revoked"
ENDED = "ended"
TASK_ASSIGNED = "task_assigned"
OVERDUE = "overdue"

APPLICANT = "applicant"  # recipient: the applicant's mobile number
USER = "user"  # recipient: a staff member's username

SMS = "sms"  # the SMS gateway (RELIEF_SMS_URL), or the file sink when none is configured
FILE = "file"  # the file sink (RELIEF_NOTIFY_FILE): staff notices

PENDING = "pending"
SENT = "sent"
INCIDENT = "incident"  # gave up after the last try: an incident is open for admins


class Notification(SQLModel, table=True):
    """One message to one person about one event, delivered at least once by the worker.

    ``idempotency_key`` names the event and the person: writing the same event twice (a
    replayed state change) is a no-op, and the receiver dedupes a retried delivery by it.
    """

    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    event: str = Field(max_length=20)
    recipient_kind: str = Field(max_length=16)
    # A mainland mobile number (applicants: never logged, shown only masked) or a username.
    recipient: str = Field(max_length=64)
    channel: str = Field(max_length=16)
    body: str = Field(sa_type=Text)  # rendered Chinese text; personal numbers only masked
    idempotency_key: str = Field(max_length=120)
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = 0  # tries started (a try is counted when a worker claims the message)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
