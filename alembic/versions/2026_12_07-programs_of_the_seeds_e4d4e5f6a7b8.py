"""Programs the seeds name: amounts set per county and year

The only-child parents' rewards of seed 003 (光荣证 每月**元, 放弃二胎 各**00元) leave the amount
blank: the catalogue marks such a program ``amount_by_county`` and the county's administrator
sets the amount per year in ``program_amount``.

Revision ID: e4d4e5f6a7b8
Revises: e3c3d4e5f6a7
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e4d4e5f6a7b8"
down_revision = "e3c3d4e5f6a7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_by_county", sa.JSON(), nullable=True))
    op.create_table(
        "program_amount",
        sa.Column("program_code", sa.String(length=64), nullable=False),
        sa.Column("county_code", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.ForeignKeyConstraint(
            ["county_code"], ["region.code"], name="fk_program_amount_county_code_region"
        ),
        sa.ForeignKeyConstraint(
            ["program_code"], ["program.code"], name="fk_program_amount_program_code_program"
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["user_account.id"], name="fk_program_amount_set_by_user_account"
        ),
        sa.PrimaryKeyConstraint("program_code", "county_code", "year", name="pk_program_amount"),
    )


def downgrade() -> None:
    op.drop_table("program_amount")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("amount_by_county")
