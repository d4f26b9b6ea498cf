"""Events in a recipient's life (death, moving away) recorded and confirmed by the county

(Placeholder of issue 22's migration chain: filled in by the change that needs it.)

Revision ID: e2b2c3d4e5f6
Revises: e1a1b2c3d4e5
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

revision = "e2b2c3d4e5f6"
down_revision = "e1a1b2c3d4e5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
