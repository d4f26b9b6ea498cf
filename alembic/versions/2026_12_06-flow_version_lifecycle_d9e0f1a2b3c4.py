"""Flow versions are activated or deleted; tasks may carry the catalogue's deadline

``flow_version.activated_at``: when a program first used the version. Set here for every
version a program is bound to now, a case or yearly review runs on, or an activation in the
trail names (its time unknown before this column: the upload time stands in).
``flow_version.deleted_at`` / ``deleted_by``: a never-activated version deleted (a tombstone).
``task.default_deadline``: the task's due date is the catalogue's time limit (the flow put no
timer on it), so the worker escalates it from the row; index ``ix_task_status_due_at`` for that
sweep and the overdue views.

Revision ID: d9e0f1a2b3c4
Revises: c8d9e0f1a2b3
Create Date: 2026-12-06 18:10:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from alembic import op

revision = "d9e0f1a2b3c4"
down_revision = "c8d9e0f1a2b3"
branch_labels = None
depends_on = None


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def _used_versions(connection: sa.Connection) -> set[int]:
    """Ids of the versions a program, a case, a review or an activation record names."""
    used: set[int] = set()
    for active, yearly in connection.execute(
        sa.text("SELECT active_flow_version_id, yearly FROM program")
    ):
        if active is not None:
            used.add(int(active))
        review = _json(yearly).get("review_flow_version_id")
        if review:
            used.add(int(review))
    for table in ("application", "review"):
        used.update(
            int(row)
            for row in connection.execute(
                sa.text(f"SELECT DISTINCT flow_version_id FROM {table}")  # noqa: S608 - fixed names
            ).scalars()
        )
    used.update(_activated_in_trail(connection))
    return used


def _activated_in_trail(connection: sa.Connection) -> set[int]:
    """Ids of the versions an activation in the trail names (``key@vN``, before or after)."""
    used: set[int] = set()
    named: set[tuple[str, int]] = set()
    for before, after in connection.execute(
        sa.text('SELECT "before", "after" FROM audit_event WHERE action = \'flow_activated\'')
    ):
        for side in (_json(before), _json(after)):
            key, _, number = str(side.get("flow") or "").rpartition("@v")
            if key and number.isdigit():
                named.add((key, int(number)))
    if named:
        for version_id, key, number in connection.execute(
            sa.text("SELECT id, key, version FROM flow_version")
        ):
            if (key, number) in named:
                used.add(int(version_id))
    return used


def upgrade() -> None:
    with op.batch_alter_table("flow_version") as batch:
        batch.add_column(sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("task") as batch:
        batch.add_column(
            sa.Column("default_deadline", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_task_status_due_at", ["status", "due_at"])
    connection = op.get_bind()
    used = _used_versions(connection)
    if used:
        connection.execute(
            sa.text(
                "UPDATE flow_version SET activated_at = uploaded_at WHERE id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": sorted(used)},
        )


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_index("ix_task_status_due_at")
        batch.drop_column("default_deadline")
    with op.batch_alter_table("flow_version") as batch:
        batch.drop_column("deleted_by")
        batch.drop_column("deleted_at")
        batch.drop_column("activated_at")
