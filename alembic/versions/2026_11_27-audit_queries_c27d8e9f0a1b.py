"""Audit queries: indexes for the auditor's filters, each ending in the paging order

Revision ID: c27d8e9f0a1b
Revises: a05b6c7d8e9f
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "c27d8e9f0a1b"
down_revision = "a05b6c7d8e9f"
branch_labels = None
depends_on = None

# name → columns. Every auditor query is scoped to one county and pages by id; a time window
# finds its first and last id in (county, at, id) without reading the rows.
INDEXES = {
    "ix_audit_event_application_id_id": ["application_id", "id"],
    "ix_audit_event_county_id": ["county", "id"],
    "ix_audit_event_county_action_id": ["county", "action", "id"],
    "ix_audit_event_county_role_id": ["county", "role", "id"],
    "ix_audit_event_county_at_id": ["county", "at", "id"],
    "ix_audit_event_actor_id": ["actor", "id"],
    "ix_audit_event_region_id": ["region", "id"],
}


def upgrade() -> None:
    # (application_id, id) serves everything the single-column index did, in id order too.
    op.drop_index("ix_audit_event_application_id", table_name="audit_event")
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_event", columns)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="audit_event")
    op.create_index("ix_audit_event_application_id", "audit_event", ["application_id"])
