"""Events in a recipient's life (death, moving away) recorded and confirmed by the county

life_event: one event of an enrolled household (a parent's death, a move out of the county, or
the eligibility table refusing a year at the annual review), its evidence and the county's
decision; at most one pending per case (partial unique index). review_outcome: the eligibility
table's outcome at each annual review, with that year's facts.

Revision ID: e2b2c3d4e5f6
Revises: e1a1b2c3d4e5
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "e2b2c3d4e5f6"
down_revision = "e1a1b2c3d4e5"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "life_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("person", sa.String(length=16), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("from_year", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.String(length=2000), nullable=True),
        sa.Column("effects", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name="fk_life_event_application_id_application"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name="fk_life_event_document_id_document"
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name="fk_life_event_review_id_review"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user_account.id"], name="fk_life_event_recorded_by_user_account"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["user_account.id"], name="fk_life_event_decided_by_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_life_event"),
    )
    op.create_index("ix_life_event_application_id", "life_event", ["application_id"])
    op.create_index(
        "uq_life_event_pending_application",
        "life_event",
        ["application_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_table(
        "review_outcome",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("eligibility", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name="fk_review_outcome_application_id_application",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name="fk_review_outcome_review_id_review"
        ),
        sa.PrimaryKeyConstraint("review_id", name="pk_review_outcome"),
    )
    op.create_index("ix_review_outcome_application_id", "review_outcome", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_review_outcome_application_id", table_name="review_outcome")
    op.drop_table("review_outcome")
    op.drop_index("uq_life_event_pending_application", table_name="life_event")
    op.drop_index("ix_life_event_application_id", table_name="life_event")
    op.drop_table("life_event")
