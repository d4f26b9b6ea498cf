"""Web console sessions: the instant a user's logout ended their sessions

Revision ID: f5a6b7c8d9e0
Revises: e49f0a1b2c3d
Create Date: 2026-11-27 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f5a6b7c8d9e0"
down_revision = "e49f0a1b2c3d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "user_account", sa.Column("sessions_ended_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("sessions_ended_at")
