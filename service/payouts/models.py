from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.dbtypes import UTCDateTime

PENDING = "pending"
PAID = "paid"
# The case left "approved" before the money went out (returned or rejected at payout).
CANCELLED = "cancelled"


ONCE = "once"


class Payout(SQLModel, table=True):
    """Money owed to a household's card: one per case and period ("once", or a year for a
    yearly benefit). The unique key forbids paying the same period twice."""

    __table_args__ = (UniqueConstraint("application_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id")
    period: str = Field(default=ONCE, max_length=16)
    amount_fen: int
    # How the amount was computed: the rule, the standard and the counts it used.
    rule: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    bank_reference: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_by: int | None = Field(default=None, foreign_key="user_account.id")
