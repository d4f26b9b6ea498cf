"""People and places: a password to change at next login, merged regions, the village a case
was submitted under

Revision ID: b7c8d9e0f1a2
Revises: 9a1b2c3d4e5f
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7c8d9e0f1a2"
down_revision = "9a1b2c3d4e5f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as table:
        table.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("region") as table:
        table.add_column(sa.Column("merged_into", sa.String(length=12), nullable=True))
        table.add_column(sa.Column("merged_at", sa.DateTime(timezone=True), nullable=True))
        table.create_foreign_key(
            "fk_region_merged_into_region", "region", ["merged_into"], ["code"]
        )
    with op.batch_alter_table("application") as table:
        table.add_column(sa.Column("submitted_village_code", sa.String(length=12), nullable=True))
    op.execute("UPDATE application SET submitted_village_code = village_code")
    with op.batch_alter_table("application") as table:
        table.alter_column("submitted_village_code", existing_type=sa.String(12), nullable=False)
        table.create_index(
            "ix_application_submitted_village_code", ["submitted_village_code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("application") as table:
        table.drop_index("ix_application_submitted_village_code")
        table.drop_column("submitted_village_code")
    with op.batch_alter_table("region") as table:
        table.drop_constraint("fk_region_merged_into_region", type_="foreignkey")
        table.drop_column("merged_at")
        table.drop_column("merged_into")
    with op.batch_alter_table("user_account") as table:
        table.drop_column("must_change_password")
