"""Programs catalogue with document rules and eligibility tables; case priority and eligibility

Revision ID: cb62b3753972
Revises: d7444cdd5454
Create Date: 2026-11-27 06:09:45.201584
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cb62b3753972"
down_revision = "d7444cdd5454"
branch_labels = None
depends_on = None

# Existing rows get defaults; `relief db upgrade` then fills the programs from the catalogue.
FALSE = sa.false()


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("certificate_holder", sa.Boolean(), nullable=False, server_default=FALSE)
        )
        batch_op.add_column(
            sa.Column("two_daughters_sterilised", sa.Boolean(), nullable=False, server_default=FALSE)
        )
        batch_op.add_column(sa.Column("eligibility", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("priority", sa.Boolean(), nullable=False, server_default=FALSE))

    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="one_time")
        )
        batch_op.add_column(sa.Column("documents", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("eligibility_dmn", sa.Text(), nullable=True))
        batch_op.drop_column("spouse_documents")
        batch_op.drop_column("event_in_current_year")
        batch_op.drop_column("required_documents")

    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Boolean(), nullable=False, server_default=FALSE))


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("priority")

    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("required_documents", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("event_in_current_year", sa.Boolean(), nullable=False, server_default=FALSE)
        )
        batch_op.add_column(
            sa.Column("spouse_documents", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.drop_column("eligibility_dmn")
        batch_op.drop_column("documents")
        batch_op.drop_column("kind")

    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("priority")
        batch_op.drop_column("eligibility")
        batch_op.drop_column("two_daughters_sterilised")
        batch_op.drop_column("certificate_holder")
