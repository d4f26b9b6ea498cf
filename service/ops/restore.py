"""``relief restore``: put a backup (``service/ops/backup.py``) back into the configured
installation, after checking every byte of it, and only into an empty database unless forced.

Order matters: every check first (the manifest, each file's SHA-256, the backend, the schema
revision, the anchor key, an empty target), then the document files (a failure after them
leaves only files nobody names), then the database in one step (``pg_restore
--single-transaction``; SQLite's backup API), then the restored database is read back and must
have the manifest's rows and audit chain heads.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.engine import make_url

from service.audit import anchors
from service.config import Settings
from service.db import files_root
from service.ops import backup


@dataclass
class Restored:
    manifest: dict[str, Any]
    rows: int
    files: int


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / backup.MANIFEST
    if not path.is_file():
        raise backup.BackupError(
            f"no {backup.MANIFEST} in {directory}: not a complete backup (a backup writes it last)"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise backup.BackupError(f"{path} is not a readable manifest: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != backup.FORMAT:
        raise backup.BackupError(
            f"{path}: unknown backup format (this relief reads format {backup.FORMAT})"
        )
    return manifest


def _inside(directory: Path, name: str) -> Path:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise backup.BackupError(f"{backup.MANIFEST} names a file outside the backup: {name!r}")
    return directory.joinpath(*relative.parts)


def verify_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Every file of the manifest is there with its size and SHA-256."""
    database = backup.PG_DUMP if manifest.get("backend") == "postgres" else backup.SQLITE_COPY
    files = manifest.get("files") or {}
    if database not in files:
        raise backup.BackupError(
            f"{backup.MANIFEST} lists no {database}: not a {manifest.get('backend')} backup"
        )
    for name, entry in files.items():
        path = _inside(directory, name)
        if not path.is_file():
            raise backup.BackupError(f"{name} is missing from the backup {directory}")
        if path.stat().st_size != entry["size"] or backup.sha256_of(path) != entry["sha256"]:
            raise backup.BackupError(
                f"{name} in {directory} does not match its checksum in {backup.MANIFEST}: "
                "the backup is damaged or was changed; nothing was restored"
            )


def _check_fits(settings: Settings, manifest: dict[str, Any]) -> None:
    backend = "sqlite" if settings.is_sqlite else "postgres"
    if manifest.get("backend") != backend:
        raise backup.BackupError(
            f"this is a {manifest.get('backend')} backup and RELIEF_DATABASE_URL names a "
            f"{backend} database: a backup restores only into the same kind of database"
        )
    if settings.is_sqlite and settings.sqlite_path is None:
        raise backup.BackupError("cannot restore into an in-memory SQLite database")
    head = backup.code_revision()
    if manifest.get("alembic_revision") != head:
        raise backup.BackupError(
            f"the backup's schema is alembic revision {manifest.get('alembic_revision')}, this "
            f"relief's is {head}: restore it with the relief release that made it (then "
            "relief db upgrade moves it to this one)"
        )
    if manifest.get("rows", {}).get("audit_anchor") and manifest.get("anchor_key_id") != (
        anchors.key_id()
    ):
        raise backup.BackupError(
            f"the backup's audit anchors were signed with key {manifest.get('anchor_key_id')}, "
            f"this installation signs with {anchors.key_id()}: set RELIEF_ANCHOR_KEY (or "
            "RELIEF_SECRET_KEY) as the backed-up installation had it, or relief audit verify "
            "will refuse every anchor"
        )


async def held_data(settings: Settings) -> dict[str, int]:
    """Tables of the configured database holding rows (beyond what ``relief db upgrade``
    writes itself): a restore replaces them only when forced."""
    if settings.is_sqlite:
        path = settings.sqlite_path
        if path is None or not path.exists() or path.stat().st_size == 0:
            return {}
    async with backup.connect(settings.database_url) as connection:
        rows = await backup.row_counts(connection)
    return {table: n for table, n in rows.items() if n and table not in backup.CATALOGUE_TABLES}


def _restore_files(directory: Path, manifest: dict[str, Any]) -> int:
    root = files_root()
    copied = 0
    for name, entry in manifest["files"].items():
        if not name.startswith(backup.FILES + "/"):
            continue
        target = root / name.removeprefix(backup.FILES + "/")
        if target.is_file() and backup.sha256_of(target) == entry["sha256"]:
            continue  # content-addressed: the same name holds the same bytes
        if backup.copy_file(_inside(directory, name), target) != entry["sha256"]:
            raise backup.BackupError(f"{name} changed while it was being restored")
        copied += 1
    return copied


async def _restore_postgres(settings: Settings, dump: Path) -> None:
    database = make_url(settings.database_url).database or ""
    quoted = database.replace("\\", "\\\\").replace("'", "\\'")
    command = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        # Grants name roles of the backed-up server, which the target may not have.
        "--no-privileges",
        "--single-transaction",
        f"--dbname=dbname='{quoted}'",  # the rest of the connection comes from PG* variables
        str(dump),
    ]
    await backup.run_client(command, backup.libpq_environment(settings.database_url))


async def _check_restored(settings: Settings, manifest: dict[str, Any]) -> int:
    async with backup.connect(settings.database_url) as connection:
        snapshot = await backup.read_snapshot(connection)
    if snapshot.heads != manifest["audit_heads"]:
        raise backup.BackupError(
            f"the restored audit heads {snapshot.heads} differ from the backup's "
            f"{manifest['audit_heads']}"
        )
    differ = {
        table: (snapshot.rows.get(table), n)
        for table, n in manifest["rows"].items()
        if snapshot.rows.get(table) != n
    }
    if differ:
        raise backup.BackupError(
            f"restored row counts differ from the backup's (restored, backup): {differ}"
        )
    return sum(snapshot.rows.values())


async def restore(settings: Settings, directory: Path, *, force: bool) -> Restored:
    """Check the backup in ``directory`` and restore it into the configured installation."""
    manifest = read_manifest(directory)
    _check_fits(settings, manifest)
    await asyncio.to_thread(verify_files, directory, manifest)
    held = await held_data(settings)
    if held and not force:
        shown = ", ".join(f"{table}: {n} rows" for table, n in sorted(held.items()))
        raise backup.BackupError(
            f"the configured database already holds data ({shown}): restore into an empty "
            "database, or pass --force to replace everything in it; nothing was restored"
        )
    files = await asyncio.to_thread(_restore_files, directory, manifest)
    await asyncio.to_thread(os.sync)  # the files on disk before the database names them
    if settings.is_sqlite:
        assert settings.sqlite_path is not None
        # Replaces the whole target database in one step.
        await asyncio.to_thread(
            backup.sqlite_copy,
            directory / backup.SQLITE_COPY,
            settings.sqlite_path,
            journal_mode="WAL",
        )
    else:
        await _restore_postgres(settings, directory / backup.PG_DUMP)
    rows = await _check_restored(settings, manifest)
    return Restored(manifest, rows, files)
