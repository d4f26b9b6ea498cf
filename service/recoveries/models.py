from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

OPEN = "open"
CLOSED = "closed"


class Recovery(SQLModel, table=True):
    """Money to get back 追回 after a revocation: one per payout that had been paid."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    payout_id: int = Field(foreign_key="payout.id", unique=True)
    amount_due_fen: int
    recovered_fen: int = 0
    status: str = Field(default=OPEN, max_length=16)
    reason: str = Field(max_length=2000)
    opened_by: int = Field(foreign_key="user_account.id")
    opened_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RecoveryPayment(SQLModel, table=True):
    """One amount the finance officer recorded as recovered."""

    __tablename__ = "recovery_payment"

    id: int | None = Field(default=None, primary_key=True)
    recovery_id: int = Field(foreign_key="recovery.id", index=True)
    amount_fen: int
    reference: str = Field(max_length=100)
    recorded_by: int = Field(foreign_key="user_account.id")
    recorded_at: datetime = Field(sa_type=UTCDateTime)
