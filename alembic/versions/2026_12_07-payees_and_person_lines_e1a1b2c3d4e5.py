"""Payouts name their payee (household card, pension fund, insurer, reward) and list per-person lines

A payout was money owed to the household's card, unique per (case, period). The pension premium
the county pays on each person's behalf (seed 001 line 249) goes to the pension insurance fund,
so a payout now names its payee and, for an account, the catalogue's key of it; the unique key
becomes (case, period, payee). Existing rows are the households' own: payee 'household'.
``payout_person`` lists who a payout is for (one line per insured parent); ``payee_account``
holds the accounts the catalogue configures; a bank batch pays one payee only.

Revision ID: e1a1b2c3d4e5
Revises: d9e0f1a2b3c4
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e1a1b2c3d4e5"
down_revision = "d9e0f1a2b3c4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payee_account",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("bank", sa.String(length=100), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_payee_account"),
    )
    # Batch mode: SQLite rebuilds the table to change its unique key.
    with op.batch_alter_table("payout") as table:
        table.add_column(
            sa.Column("payee", sa.String(length=16), nullable=False, server_default="household")
        )
        table.add_column(sa.Column("payee_account", sa.String(length=64), nullable=True))
        table.create_foreign_key(
            "fk_payout_payee_account_payee_account", "payee_account", ["payee_account"], ["key"]
        )
        table.drop_constraint("uq_payout_application_id_period", type_="unique")
        table.create_unique_constraint(
            "uq_payout_application_id_period_payee", ["application_id", "period", "payee"]
        )
    with op.batch_alter_table("payout_batch") as table:
        table.add_column(
            sa.Column("payee", sa.String(length=16), nullable=False, server_default="household")
        )
    op.create_table(
        "payout_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="ck_payout_person_amount_positive"),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payout.id"], name="fk_payout_person_payout_id_payout"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payout_person"),
        sa.UniqueConstraint("payout_id", "line_no", name="uq_payout_person_payout_id_line_no"),
    )
    op.create_index("ix_payout_person_payout_id", "payout_person", ["payout_id"])


def downgrade() -> None:
    op.drop_index("ix_payout_person_payout_id", table_name="payout_person")
    op.drop_table("payout_person")
    with op.batch_alter_table("payout_batch") as table:
        table.drop_column("payee")
    # Only the households' payouts fit the old key (one per case and period).
    op.execute(
        "DELETE FROM payout_batch_line WHERE payout_id IN "
        "(SELECT id FROM payout WHERE payee <> 'household')"
    )
    op.execute("DELETE FROM payout WHERE payee <> 'household'")
    with op.batch_alter_table("payout") as table:
        table.drop_constraint("uq_payout_application_id_period_payee", type_="unique")
        table.create_unique_constraint(
            "uq_payout_application_id_period", ["application_id", "period"]
        )
        table.drop_constraint("fk_payout_payee_account_payee_account", type_="foreignkey")
        table.drop_column("payee_account")
        table.drop_column("payee")
    op.drop_table("payee_account")
