"""``relief backup`` and ``relief restore``: the database and the documents it names, with a
manifest, taken while the service runs and put back into an empty installation.

A backup directory holds ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``) or
``database.sqlite3`` (SQLite: the online backup API), ``files/`` (the document files, laid out
as under ``RELIEF_FILES_DIR``) and, written last, ``manifest.json``: the format, when, the service
version, the backend, the alembic revision, each file's SHA-256 and size, the rows of every
table and each county's audit chain head, all read from the snapshot the dump holds. Without
a manifest a directory is not a backup.

Documents are written once under their SHA-256 and never changed, so the files are copied after
the snapshot: only the files the snapshot's document rows name are copied (a file uploaded
since belongs to a row the snapshot does not have), and each must be there, whole.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from service.applications import storage
from service.audit import anchors
from service.config import Settings
from service.db import files_root

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES = "files"
# Filled by ``relief db upgrade`` itself: a database holding only these is empty.
CATALOGUE_TABLES = frozenset({"alembic_version", "program", "flow_version", "benefit_standard"})
_CHUNK = 1024 * 1024

Emit = Callable[[str], None]


class BackupError(Exception):
    """Why a backup or a restore stopped; the command prints it and exits 1."""


@dataclass
class Snapshot:
    """What the manifest says of the database, read inside the snapshot the copy holds."""

    revision: str | None
    rows: dict[str, int]
    heads: dict[str, dict[str, Any]]
    documents: list[tuple[int, str, str]]  # (case, kind, sha256) of every document row


# --- reading a database ---------------------------------------------------------------------


async def _tables(connection: AsyncConnection) -> list[str]:
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return sorted((await connection.execute(sa.text(query))).scalars())


async def row_counts(connection: AsyncConnection) -> dict[str, int]:
    quote = connection.dialect.identifier_preparer.quote
    rows = {}
    for table in await _tables(connection):
        count = await connection.execute(sa.text(f"SELECT count(*) FROM {quote(table)}"))
        rows[table] = int(count.scalar_one())
    return rows


async def read_snapshot(connection: AsyncConnection) -> Snapshot:
    rows = await row_counts(connection)
    if "audit_head" not in rows or "document" not in rows:
        raise BackupError("the database has no relief schema: run relief db upgrade first")
    revision = None
    if "alembic_version" in rows:
        revision = (
            await connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        ).scalar()
    heads = {
        county: {"seq": int(seq), "hash": str(head_hash)}
        for county, seq, head_hash in await connection.execute(
            sa.text("SELECT county, seq, hash FROM audit_head ORDER BY county")
        )
    }
    documents = [
        (int(case), str(kind), str(sha256))
        for case, kind, sha256 in await connection.execute(
            sa.text("SELECT application_id, kind, sha256 FROM document ORDER BY id")
        )
    ]
    return Snapshot(revision, rows, heads, documents)


@asynccontextmanager
async def connect(url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine(url, poolclass=sa.NullPool)
    try:
        async with engine.connect() as connection:
            yield connection
    except (OSError, sa.exc.DBAPIError) as error:
        raise BackupError(f"cannot read the database: {error}".splitlines()[0]) from error
    finally:
        await engine.dispose()


# --- PostgreSQL: the libpq environment of pg_dump / pg_restore ------------------------------


def libpq_environment(database_url: str) -> dict[str, str]:
    """The PG* variables naming the database of a SQLAlchemy URL, for a pg_dump or pg_restore
    child process: the password travels in PGPASSWORD, never on a command line (where ``ps``
    shows it to every user of the machine)."""
    url = make_url(database_url)
    env = dict(os.environ)  # PG* variables the URL does not name apply, as they do for asyncpg
    named = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else url.query.get("port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        # The service's URL carries asyncpg's ssl=…; libpq calls it sslmode.
        "PGSSLMODE": url.query.get("ssl") or url.query.get("sslmode"),
    }
    env.update({name: str(value) for name, value in named.items() if value})
    return env


async def run_client(command: list[str], env: dict[str, str]) -> None:
    try:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed (PostgreSQL client 15 or later)"
        ) from None
    _out, errors = await process.communicate()
    if process.returncode != 0:
        said = errors.decode(errors="replace").strip()
        raise BackupError(f"{command[0]} failed (exit {process.returncode}): {said}")


# --- files ----------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_file(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` (through a temporary file, renamed once written); return
    the SHA-256 of what was copied. Not synced to disk one by one: 4 ms a file on this machine,
    so the callers sync them all at once (``os.sync``) before they count on them."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".copy-")
    try:
        with source.open("rb") as reader, os.fdopen(fd, "wb") as writer:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
                writer.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _document_path(sha256: str) -> str:
    """Where a document lives, relative to the files directory (``ab/cd/<sha256>``)."""
    return storage.path_for(sha256).relative_to(files_root()).as_posix()


def _copy_documents(snapshot: Snapshot, target: Path) -> None:
    """Copy each file the snapshot's document rows name; fail on one missing or changed."""
    missing, damaged, copied = [], [], set()
    for case, kind, sha256 in snapshot.documents:
        if sha256 in copied:
            continue
        source = storage.path_for(sha256)
        if not source.is_file():
            missing.append(f"case {case} {kind} ({sha256[:12]}…)")
            continue
        if copy_file(source, target / _document_path(sha256)) != sha256:
            damaged.append(f"case {case} {kind} ({sha256[:12]}…)")
        copied.add(sha256)
    for problems, what in ((missing, "missing from"), (damaged, "changed in")):
        if problems:
            shown = ", ".join(problems[:5]) + (" …" if len(problems) > 5 else "")
            raise BackupError(
                f"{len(problems)} document file(s) the database names are {what} "
                f"{files_root()}: {shown}; nothing was backed up"
            )


# --- backup ---------------------------------------------------------------------------------


def code_revision() -> str:
    """The alembic head of this code: the only schema a backup can be restored into."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).resolve().parents[2]
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _prepare(directory: Path) -> bool:
    """Create the backup directory; refuse one that holds anything. True if it was created."""
    if directory.exists():
        if not directory.is_dir():
            raise BackupError(f"{directory} exists and is not a directory")
        if any(directory.iterdir()):
            raise BackupError(f"{directory} is not empty: back up into a new directory")
        return False
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.mkdir(mode=0o700)  # it holds ID numbers and bank cards: the owner's alone
    return True


async def _snapshot_postgres(settings: Settings, directory: Path) -> Snapshot:
    """Dump the database and read the manifest's facts in one snapshot.

    A REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot``) and stays open
    while ``pg_dump --snapshot`` imports it, so the dump and the row counts, heads and
    document rows read here see the same committed state, whatever commits meanwhile.
    """
    async with connect(settings.database_url) as connection:
        await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            await connection.execute(sa.text("SET TRANSACTION READ ONLY"))
            exported = await connection.execute(sa.text("SELECT pg_export_snapshot()"))
            snapshot_id = str(exported.scalar_one())
            snapshot = await read_snapshot(connection)
            command = ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot_id}"]
            command.append(f"--file={directory / PG_DUMP}")
            await run_client(command, libpq_environment(settings.database_url))
    return snapshot


def sqlite_copy(source: Path, target: Path, *, journal_mode: str) -> None:
    """Copy a SQLite database with its online backup API: one step (``pages=-1``) under one
    read transaction, so the copy is a consistent state while the service keeps writing, and
    it replaces whatever ``target`` held. ``journal_mode``: DELETE for a backup (one
    self-contained file, no -wal beside it), WAL for a restore (as the service runs it)."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer, pages=-1)
        writer.execute(f"PRAGMA journal_mode={journal_mode}")
    finally:
        writer.close()
        reader.close()


async def _snapshot_sqlite(settings: Settings, directory: Path) -> Snapshot:
    assert settings.sqlite_path is not None
    copy = directory / SQLITE_COPY
    await asyncio.to_thread(sqlite_copy, settings.sqlite_path, copy, journal_mode="DELETE")
    # Read back from the copy itself: the manifest describes exactly what was copied.
    async with connect(f"sqlite+aiosqlite:///{copy}") as connection:
        return await read_snapshot(connection)


def _service_version() -> str:
    try:
        return metadata.version("relief")
    except metadata.PackageNotFoundError:
        return "unknown"


def _file_entries(directory: Path) -> dict[str, dict[str, Any]]:
    entries = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            name = path.relative_to(directory).as_posix()
            entries[name] = {"sha256": sha256_of(path), "size": path.stat().st_size}
    return entries


def _write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest last and atomically: its presence says the backup is complete."""
    tmp = directory / (MANIFEST + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, directory / MANIFEST)
    _fsync(directory)


async def backup(settings: Settings, directory: Path) -> dict[str, Any]:
    """Write a backup of the configured installation into ``directory`` (new or empty) and
    return its manifest. On any failure nothing is left that looks like a backup."""
    created = _prepare(directory)
    try:
        if settings.is_sqlite:
            if settings.sqlite_path is None:
                raise BackupError("an in-memory SQLite database cannot be backed up")
            snapshot = await _snapshot_sqlite(settings, directory)
        else:
            snapshot = await _snapshot_postgres(settings, directory)
        await asyncio.to_thread(_copy_documents, snapshot, directory / FILES)
        files = await asyncio.to_thread(_file_entries, directory)
        await asyncio.to_thread(os.sync)  # every file on disk before the manifest says so
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "service_version": _service_version(),
            "backend": "sqlite" if settings.is_sqlite else "postgres",
            "alembic_revision": snapshot.revision,
            "anchor_key_id": anchors.key_id(),
            "rows": snapshot.rows,
            "documents": len(snapshot.documents),
            "audit_heads": snapshot.heads,
            "files": files,
        }
        _write_manifest(directory, manifest)
    except BaseException:
        _discard(directory, created=created)
        raise
    return manifest


def _discard(directory: Path, *, created: bool) -> None:
    if created:
        shutil.rmtree(directory, ignore_errors=True)
        return
    for child in directory.iterdir():  # it was empty before: all of it is ours
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
