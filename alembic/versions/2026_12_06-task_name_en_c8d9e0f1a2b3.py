"""Task names in two languages: ``name`` Chinese, a new ``name_en`` English

Rows written before flows named their steps by the convention of service/engine/names.py hold
one bilingual name ("村调查 village investigation"): it is split by the same legacy rule.

Revision ID: c8d9e0f1a2b3
Revises: b7c8d9e0f1a2
Create Date: 2026-12-06 14:30:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "c8d9e0f1a2b3"
down_revision = "b7c8d9e0f1a2"
branch_labels = None
depends_on = None

# The rule of service.engine.names.legacy_names, frozen here as a migration must be.
_LEGACY = re.compile(
    r"^(.*[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])\s+([\x20-\x7e]*[A-Za-z][\x20-\x7e]*)$"
)


def _split(name: str) -> tuple[str, str]:
    name = " ".join(name.split())
    match = _LEGACY.match(name)
    if match is None:
        return name, name
    return match.group(1).strip(), match.group(2).strip()


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(
            sa.Column("name_en", sa.String(length=200), nullable=False, server_default="")
        )
    task = sa.table(
        "task",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_en", sa.String),
    )
    connection = op.get_bind()
    names = connection.execute(sa.select(task.c.name).distinct()).scalars().all()
    for name in names:
        zh, en = _split(name)
        connection.execute(task.update().where(task.c.name == name).values(name=zh, name_en=en))


def downgrade() -> None:
    task = sa.table("task", sa.column("name", sa.String), sa.column("name_en", sa.String))
    connection = op.get_bind()
    pairs = connection.execute(sa.select(task.c.name, task.c.name_en).distinct()).all()
    for zh, en in pairs:
        joined = zh if zh == en or not en else f"{zh} {en}"[:200]
        connection.execute(
            task.update().where(task.c.name == zh, task.c.name_en == en).values(name=joined)
        )
    with op.batch_alter_table("task") as batch:
        batch.drop_column("name_en")
