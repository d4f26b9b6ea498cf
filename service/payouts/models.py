from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.dbtypes import UTCDateTime

PENDING = "pending"
PAID = "paid"
# The case left "approved" before the money went out (returned or rejected at payout).
CANCELLED = "cancelled"


class Payout(SQLModel, table=True):
    """Money owed to a household's card. One per case: the unique key forbids paying twice."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", unique=True)
    amount_fen: int
    status: str = Field(max_length=16)
    bank_reference: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_by: int | None = Field(default=None, foreign_key="user_account.id")
