"""Programs the seeds name: amounts set per county and year

(Placeholder of issue 22's migration chain: filled in by the change that needs it.)

Revision ID: e4d4e5f6a7b8
Revises: e3c3d4e5f6a7
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

revision = "e4d4e5f6a7b8"
down_revision = "e3c3d4e5f6a7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
