"""Public notices 公示 after county approval, and objections 举报 against them

Revision ID: d38e9f0a1b2c
Revises: c27d8e9f0a1b
Create Date: 2026-11-27 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d38e9f0a1b2c"
down_revision = "c27d8e9f0a1b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("program_code", sa.String(length=64), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("name_masked", sa.String(length=100), nullable=False),
        sa.Column("id_number_masked", sa.String(length=18), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name="fk_public_notice_application_id_application",
        ),
        sa.ForeignKeyConstraint(
            ["program_code"], ["program.code"], name="fk_public_notice_program_code_program"
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["region.code"], name="fk_public_notice_village_code_region"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_public_notice"),
    )
    op.create_index(
        "ix_public_notice_county_state_id", "public_notice", ["county_code", "state", "id"]
    )
    op.create_index("ix_public_notice_application_id", "public_notice", ["application_id"])
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["public_notice.id"], name="fk_objection_notice_id_public_notice"
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name="fk_objection_application_id_application"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["user_account.id"], name="fk_objection_resolved_by_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_objection"),
    )
    op.create_index("ix_objection_source_received_at", "objection", ["source", "received_at"])
    op.create_index("ix_objection_application_id", "objection", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_objection_application_id", table_name="objection")
    op.drop_index("ix_objection_source_received_at", table_name="objection")
    op.drop_table("objection")
    op.drop_index("ix_public_notice_application_id", table_name="public_notice")
    op.drop_index("ix_public_notice_county_state_id", table_name="public_notice")
    op.drop_table("public_notice")
