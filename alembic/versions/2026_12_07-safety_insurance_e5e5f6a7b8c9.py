"""平安保障 insurance: yearly batches paying the insurer and each household's policy

(Placeholder of issue 22's migration chain: filled in by the change that needs it.)

Revision ID: e5e5f6a7b8c9
Revises: e4d4e5f6a7b8
Create Date: 2026-12-06 21:20:00
"""

from __future__ import annotations

revision = "e5e5f6a7b8c9"
down_revision = "e4d4e5f6a7b8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
