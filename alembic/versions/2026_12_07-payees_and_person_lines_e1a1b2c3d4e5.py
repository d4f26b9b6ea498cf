"""Payouts name their payee (household card, pension fund, insurer, reward) and list per-person lines

(Placeholder of issue 22's migration chain: filled in by the change that needs it.)

Revision ID: e1a1b2c3d4e5
Revises: d9e0f1a2b3c4
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

revision = "e1a1b2c3d4e5"
down_revision = "d9e0f1a2b3c4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
