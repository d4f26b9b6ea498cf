"""Migration c8d9e0f1a2b3 (issue 20): task rows written with one bilingual name get their
Chinese ``name`` and English ``name_en`` by the rule flows without ``name.en`` are read by;
going back joins them again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.config import Config

from alembic import command
from service.engine import legacy_names

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "b7c8d9e0f1a2"
NAMES = ["村调查 village investigation", "核查举报 objection review", "补正材料", "annual review"]


def _config(database: Path) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = f"sqlite:///{database}"
    return config


def _rows(database: Path, columns: str) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT {columns} FROM task ORDER BY id").fetchall()


def test_existing_task_names_are_split_and_joined_back(tmp_path: Path) -> None:
    database = tmp_path / "relief.db"
    config = _config(database)
    command.upgrade(config, BEFORE)
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        for number, name in enumerate(NAMES, start=1):
            connection.execute(
                "INSERT INTO task (id, application_id, engine_task_id, spec, name, role,"
                " village_code, priority, status, created_at)"
                " VALUES (?, 1, ?, 'step', ?, 'caseworker', '130123100201', 0, 'ready',"
                " '2026-12-06 00:00:00')",
                (number, f"engine-{number}", name),
            )

    command.upgrade(config, "head")
    assert _rows(database, "name, name_en") == [
        ("村调查", "village investigation"),
        ("核查举报", "objection review"),
        ("补正材料", "补正材料"),
        ("annual review", "annual review"),
    ]
    # The frozen rule of the migration is the engine's rule.
    assert _rows(database, "name, name_en") == [legacy_names(name) for name in NAMES]

    command.downgrade(config, BEFORE)
    assert _rows(database, "name") == [(name,) for name in NAMES]
