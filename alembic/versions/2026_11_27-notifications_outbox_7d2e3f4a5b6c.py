"""Notifications: the outbox of messages to people, delivered by the worker

Revision ID: 7d2e3f4a5b6c
Revises: 6c1d2e3f4a5b
Create Date: 2026-11-27 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401 - filled in by the issue-6 change that owns this revision
from alembic import op  # noqa: F401

revision = "7d2e3f4a5b6c"
down_revision = "6c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
