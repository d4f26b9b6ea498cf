"""The applicant's relation to the child, read by the eligibility tables

Revision ID: 4a1c2e9d7b30
Revises: 70f26e6a7387
Create Date: 2026-11-27 06:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4a1c2e9d7b30"
down_revision = "70f26e6a7387"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("relation", sa.String(length=16), nullable=False, server_default="parent")
        )


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("relation")
