"""Notifications: the outbox of messages to people, delivered by the worker

Revision ID: 7d2e3f4a5b6c
Revises: 6c1d2e3f4a5b
Create Date: 2026-11-27 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7d2e3f4a5b6c"
down_revision = "6c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=11), nullable=True))
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name="fk_notification_application_id_application",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification"),
        sa.UniqueConstraint("idempotency_key", name="uq_notification_idempotency_key"),
    )
    op.create_index("ix_notification_application_id", "notification", ["application_id"])
    op.create_index(
        "ix_notification_status_next_attempt_at", "notification", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_notification_status_next_attempt_at", table_name="notification")
    op.drop_index("ix_notification_application_id", table_name="notification")
    op.drop_table("notification")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("phone")
