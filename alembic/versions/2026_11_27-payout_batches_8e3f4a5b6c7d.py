"""Payout batches: bank batches, their lines and results

Revision ID: 8e3f4a5b6c7d
Revises: 7d2e3f4a5b6c
Create Date: 2026-11-27 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401 - filled in by the issue-6 change that owns this revision
from alembic import op  # noqa: F401

revision = "8e3f4a5b6c7d"
down_revision = "7d2e3f4a5b6c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
