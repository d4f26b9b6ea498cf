"""Deadlines and the worker: a case's next timer, escalated tasks, incidents

Revision ID: 6c1d2e3f4a5b
Revises: 5b8e31c0a6f2
Create Date: 2026-11-27 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "6c1d2e3f4a5b"
down_revision = "5b8e31c0a6f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("timer_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_application_next_timer_at", ["next_timer_at"], unique=False)
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("timer_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_review_next_timer_at", ["next_timer_at"], unique=False)
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_limits", sa.JSON(), nullable=True))
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retried_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"], name="fk_incident_application"),
        sa.ForeignKeyConstraint(["retried_by"], ["user_account.id"], name="fk_incident_retried_by"),
        sa.PrimaryKeyConstraint("id", name="pk_incident"),
    )
    op.create_index("ix_incident_status_kind_ref", "incident", ["status", "kind", "ref_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_status_kind_ref", table_name="incident")
    op.drop_table("incident")
    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_column("time_limits")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_next_timer_at")
        batch_op.drop_column("timer_attempts")
        batch_op.drop_column("next_timer_at")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index("ix_application_next_timer_at")
        batch_op.drop_column("timer_attempts")
        batch_op.drop_column("next_timer_at")
