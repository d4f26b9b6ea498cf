"""平安保障 insurance: the county's yearly batches and each household's policy.

A batch lists the households a county insures for one year (the year's batch, then any
supplementary ones); a policy is one household's line in it: one live policy per household,
plan and year (a rejected batch's lines are dropped and may be listed again).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

# A batch: made (awaiting the county's approval), approved (premiums owed to the insurer),
# rejected (its households are free to be listed again).
BATCH_MADE = "made"
BATCH_APPROVED = "approved"
BATCH_REJECTED = "rejected"

# A policy: listed (its batch awaits approval), dropped (its batch was rejected, or the
# household left special assistance before approval), approved (premium owed), insured (the
# insurer's policy number recorded).
POLICY_LISTED = "listed"
POLICY_DROPPED = "dropped"
POLICY_APPROVED = "approved"
POLICY_INSURED = "insured"


class InsuranceBatch(SQLModel, table=True):
    """One county's list of households insured under a plan for a year (投保清单)."""

    __tablename__ = "insurance_batch"
    __table_args__ = (
        # The year's batch is seq 1; supplementary batches 2, 3, …
        UniqueConstraint("county_code", "plan_code", "year", "seq"),
        # One batch at a time awaits the county: a second would list the same households.
        Index(
            "uq_insurance_batch_made",
            "county_code",
            "plan_code",
            "year",
            unique=True,
            sqlite_where=text("status = 'made'"),
            postgresql_where=text("status = 'made'"),
        ),
        CheckConstraint("household_count > 0", name="households_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_code: str = Field(max_length=64)
    county_code: str = Field(max_length=6, index=True)
    year: int
    seq: int
    status: str = Field(default=BATCH_MADE, max_length=16)
    household_count: int
    premium_fen: int  # per household, from the catalogue when the batch was made
    sum_insured_fen: int
    total_fen: int
    due_on: date  # the catalogue's deadline of the year (8月底前)
    made_by: int = Field(foreign_key="user_account.id")
    made_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str | None = Field(default=None, max_length=2000)


class InsurancePolicy(SQLModel, table=True):
    """One household's policy of a year: listed in a batch, paid to the insurer, numbered."""

    __tablename__ = "insurance_policy"
    __table_args__ = (
        Index(
            "uq_insurance_policy_household_year",
            "application_id",
            "plan_code",
            "year",
            unique=True,
            sqlite_where=text("status <> 'dropped'"),
            postgresql_where=text("status <> 'dropped'"),
        ),
        UniqueConstraint("plan_code", "policy_no"),
        UniqueConstraint("batch_id", "line_no"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="insurance_batch.id", index=True)
    line_no: int
    # The household: its special-assistance case.
    application_id: int = Field(foreign_key="application.id", index=True)
    plan_code: str = Field(max_length=64)
    year: int
    premium_fen: int
    sum_insured_fen: int
    status: str = Field(default=POLICY_LISTED, max_length=16)
    payout_id: int | None = Field(default=None, foreign_key="payout.id")
    policy_no: str | None = Field(default=None, max_length=64)
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
