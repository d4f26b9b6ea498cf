"""Flow administration: a version's note, its DMN decisions, outline and changes

Revision ID: 5b8e31c0a6f2
Revises: 4a1c2e9d7b30
Create Date: 2026-11-27 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b8e31c0a6f2"
down_revision = "4a1c2e9d7b30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("decisions", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("outline", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("changes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flow_version", schema=None) as batch_op:
        batch_op.drop_column("changes")
        batch_op.drop_column("outline")
        batch_op.drop_column("decisions")
        batch_op.drop_column("note")
