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

# Who receives a payout's money. The household's own card (打卡到户) is the default; the pension
# premium the county pays on each insured person's behalf (代缴) goes to the pension insurance
# fund, an insurance premium to the insurer, a verified report's reward to the complainant.
PAYEE_HOUSEHOLD = "household"
PAYEE_PENSION_FUND = "pension_fund"
PAYEE_INSURER = "insurer"
PAYEE_REWARD = "reward"  # 举报奖励: defined for the complaints' rewards; nothing creates one yet
PAYEES = (PAYEE_HOUSEHOLD, PAYEE_PENSION_FUND, PAYEE_INSURER, PAYEE_REWARD)


class PayeeAccount(SQLModel, table=True):
    """An account money goes to besides a household's card (the pension fund, an insurer),
    named by a key in the catalogue's ``payees:`` section. Kept in a table, not in a program's
    JSON: one account serves several programs, and a bank file needs its number."""

    __tablename__ = "payee_account"

    key: str = Field(primary_key=True, max_length=64)
    name_zh: str = Field(max_length=100)
    kind: str = Field(max_length=16)  # one of PAYEES other than the household
    bank: str = Field(max_length=100)
    account: str = Field(max_length=40)


class Payout(SQLModel, table=True):
    """Money owed to one payee for a case and period ("once", or a year for a yearly
    benefit): the household's card unless ``payee`` says otherwise. The unique key forbids
    paying the same payee for the same period twice."""

    __table_args__ = (UniqueConstraint("application_id", "period", "payee"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id")
    period: str = Field(default=ONCE, max_length=16)
    payee: str = Field(default=PAYEE_HOUSEHOLD, max_length=16)
    # The catalogue's key of the account paid (``PayeeAccount.key``); None: the household's card.
    payee_account: str | None = Field(default=None, max_length=64, foreign_key="payee_account.key")
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


class PayoutPerson(SQLModel, table=True):
    """One person's share of a payout paid for several people (the pension premium: one line
    per insured parent). The lines add up to the payout's amount."""

    __tablename__ = "payout_person"
    __table_args__ = (
        UniqueConstraint("payout_id", "line_no"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    payout_id: int = Field(foreign_key="payout.id", index=True)
    line_no: int
    name: str = Field(max_length=100)
    id_number: str = Field(max_length=18)
    amount_fen: int


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
    # A batch pays one payee's payouts only: the households' cards, or one account.
    payee: str = Field(default=PAYEE_HOUSEHOLD, max_length=16)
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
