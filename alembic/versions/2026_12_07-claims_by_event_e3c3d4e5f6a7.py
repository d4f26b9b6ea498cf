"""A once-only claim may be keyed by household and event; proof confirmations

(Placeholder of issue 22's migration chain: filled in by the change that needs it.)

Revision ID: e3c3d4e5f6a7
Revises: e2b2c3d4e5f6
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

revision = "e3c3d4e5f6a7"
down_revision = "e2b2c3d4e5f6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
