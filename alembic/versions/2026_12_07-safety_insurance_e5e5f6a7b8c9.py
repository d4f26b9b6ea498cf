"""平安保障 insurance: yearly batches paying the insurer and each household's policy

``insurance_batch``: one county's list of households insured under a plan for a year (the
year's batch is seq 1, supplementary ones follow), made by the finance officer and approved or
rejected by a county approver; at most one awaits the decision at a time.
``insurance_policy``: one household's line of a batch, its premium payout to the insurer and
the insurer's policy number; one live line per household, plan and year (a dropped line, of a
rejected batch, frees the household).

Revision ID: e5e5f6a7b8c9
Revises: e4d4e5f6a7b8
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "e5e5f6a7b8c9"
down_revision = "e4d4e5f6a7b8"
branch_labels = None
depends_on = None

MADE = sa.text("status = 'made'")
LIVE = sa.text("status <> 'dropped'")


def upgrade() -> None:
    op.create_table(
        "insurance_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_code", sa.String(length=64), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("household_count", sa.Integer(), nullable=False),
        sa.Column("premium_fen", sa.Integer(), nullable=False),
        sa.Column("sum_insured_fen", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("made_by", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.CheckConstraint("household_count > 0", name="ck_insurance_batch_households_positive"),
        sa.ForeignKeyConstraint(
            ["made_by"], ["user_account.id"], name="fk_insurance_batch_made_by_user_account"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["user_account.id"], name="fk_insurance_batch_decided_by_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_insurance_batch"),
        sa.UniqueConstraint(
            "county_code",
            "plan_code",
            "year",
            "seq",
            name="uq_insurance_batch_county_code_plan_code_year_seq",
        ),
    )
    op.create_index("ix_insurance_batch_county_code", "insurance_batch", ["county_code"])
    op.create_index(
        "uq_insurance_batch_made",
        "insurance_batch",
        ["county_code", "plan_code", "year"],
        unique=True,
        sqlite_where=MADE,
        postgresql_where=MADE,
    )
    op.create_table(
        "insurance_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("plan_code", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("premium_fen", sa.Integer(), nullable=False),
        sa.Column("sum_insured_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("policy_no", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["insurance_batch.id"],
            name="fk_insurance_policy_batch_id_insurance_batch",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name="fk_insurance_policy_application_id_application",
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payout.id"], name="fk_insurance_policy_payout_id_payout"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name="fk_insurance_policy_recorded_by_user_account",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_insurance_policy"),
        sa.UniqueConstraint(
            "plan_code", "policy_no", name="uq_insurance_policy_plan_code_policy_no"
        ),
        sa.UniqueConstraint("batch_id", "line_no", name="uq_insurance_policy_batch_id_line_no"),
    )
    op.create_index("ix_insurance_policy_batch_id", "insurance_policy", ["batch_id"])
    op.create_index("ix_insurance_policy_application_id", "insurance_policy", ["application_id"])
    op.create_index(
        "uq_insurance_policy_household_year",
        "insurance_policy",
        ["application_id", "plan_code", "year"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_insurance_policy_household_year", table_name="insurance_policy")
    op.drop_index("ix_insurance_policy_application_id", table_name="insurance_policy")
    op.drop_index("ix_insurance_policy_batch_id", table_name="insurance_policy")
    op.drop_table("insurance_policy")
    op.drop_index("uq_insurance_batch_made", table_name="insurance_batch")
    op.drop_index("ix_insurance_batch_county_code", table_name="insurance_batch")
    op.drop_table("insurance_batch")
