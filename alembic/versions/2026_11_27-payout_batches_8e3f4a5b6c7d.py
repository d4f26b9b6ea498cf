"""Payout batches: bank batches, their lines and results

Revision ID: 8e3f4a5b6c7d
Revises: 7d2e3f4a5b6c
Create Date: 2026-11-27 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8e3f4a5b6c7d"
down_revision = "7d2e3f4a5b6c"
branch_labels = None
depends_on = None


OPEN_LINE = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "payout_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("program_code", sa.String(length=64), nullable=True),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name="fk_payout_batch_created_by_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payout_batch"),
    )
    op.create_index("ix_payout_batch_county_code", "payout_batch", ["county_code"])
    op.create_table(
        "payout_batch_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("result_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["payout_batch.id"], name="fk_payout_batch_line_batch_id_payout_batch"
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payout.id"], name="fk_payout_batch_line_payout_id_payout"
        ),
        sa.ForeignKeyConstraint(
            ["result_by"], ["user_account.id"], name="fk_payout_batch_line_result_by_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payout_batch_line"),
        sa.UniqueConstraint("batch_id", "line_no", name="uq_payout_batch_line_batch_id_line_no"),
        sa.UniqueConstraint("reference", name="uq_payout_batch_line_reference"),
    )
    op.create_index("ix_payout_batch_line_batch_id", "payout_batch_line", ["batch_id"])
    op.create_index("ix_payout_batch_line_payout_id", "payout_batch_line", ["payout_id"])
    op.create_index(
        "uq_payout_batch_line_open_payout",
        "payout_batch_line",
        ["payout_id"],
        unique=True,
        sqlite_where=OPEN_LINE,
        postgresql_where=OPEN_LINE,
    )
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_failure", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.drop_column("last_failure")
    op.drop_index("uq_payout_batch_line_open_payout", table_name="payout_batch_line")
    op.drop_index("ix_payout_batch_line_payout_id", table_name="payout_batch_line")
    op.drop_index("ix_payout_batch_line_batch_id", table_name="payout_batch_line")
    op.drop_table("payout_batch_line")
    op.drop_index("ix_payout_batch_county_code", table_name="payout_batch")
    op.drop_table("payout_batch")
