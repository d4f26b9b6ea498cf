from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

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
    # The bank's reason when a bank batch line of this payout last failed (it stays pending).
    last_failure: str | None = Field(default=None, max_length=500)


# A bank batch 批量代发: open while the bank's results are awaited, settled when every line has
# one. A line is open (sent, no result yet), paid or failed.
BATCH_OPEN = "open"
BATCH_SETTLED = "settled"
LINE_OPEN = "open"
LINE_PAID = "paid"
LINE_FAILED = "failed"


class PayoutBatch(SQLModel, table=True):
    """Pending payouts of one county grouped into one file for the bank."""

    __tablename__ = "payout_batch"

    id: int | None = Field(default=None, primary_key=True)
    county_code: str = Field(max_length=6, index=True)
    # The filters it was made with (None: every program, every period).
    program_code: str | None = Field(default=None, max_length=64)
    period: str | None = Field(default=None, max_length=16)
    status: str = Field(default=BATCH_OPEN, max_length=16)
    # Checked against the lines when the batch is made and on every bank file.
    line_count: int
    total_fen: int
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    settled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PayoutBatchLine(SQLModel, table=True):
    """One payout in a bank batch, and the bank's result for it."""

    __tablename__ = "payout_batch_line"
    __table_args__ = (
        UniqueConstraint("batch_id", "line_no"),
        UniqueConstraint("reference"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        # A payout waits on the bank in one batch at most: two finance officers batching at
        # the same moment cannot both send it (the second insert fails).
        Index(
            "uq_payout_batch_line_open_payout",
            "payout_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="payout_batch.id", index=True)
    line_no: int
    payout_id: int = Field(foreign_key="payout.id", index=True)
    reference: str = Field(max_length=20)  # B000012-0003: what the bank quotes back
    amount_fen: int
    status: str = Field(default=LINE_OPEN, max_length=16)
    bank_reference: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=500)
    result_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result_by: int | None = Field(default=None, foreign_key="user_account.id")
