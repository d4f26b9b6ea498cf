"""How long a backup and a restore take (not a test: prints a table).

    .venv/bin/python bench/backup.py [--backends sqlite,postgres] [--cases 2000]
        [--document-kb 100]

For each backend: a new migrated and seeded database filled by ``bench/bulk.py`` with
``--cases`` emergency-consolation cases (six documents each), every document row then given a
file of its own of ``--document-kb`` KB (random bytes behind a PDF header, written under the
files directory as the service stores them), so the file copy costs what a county's scans
would. Then, timed as an operator runs them (each a ``relief`` process): ``relief backup`` into
a new directory, ``relief restore`` of it into a fresh database (a new SQLite file; a new,
empty PostgreSQL database) and files directory, and ``relief audit verify`` and ``relief
doctor`` on the restored installation, the checks that end a recovery.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bulk import fill  # noqa: E402
from bench.common import ROOT, Database, bench_database  # noqa: E402
from harness import POSTGRES_ADMIN_URL, base_env  # noqa: E402
from tests.factories import PDF  # noqa: E402


def _timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run ``relief ARGS`` (no time limit: this measures it); seconds and its last line."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"relief {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return took, (done.stdout.strip().splitlines() or [""])[-1]


def _document_files(database: Database, kb: int) -> tuple[int, int]:
    """Give every document row a file of its own; returns (files, bytes)."""
    root = Path(database.env["RELIEF_FILES_DIR"])
    with database.engine.begin() as connection:
        ids = connection.execute(sa.text("SELECT id FROM document ORDER BY id")).scalars().all()
        rows, total = [], 0
        for document_id in ids:
            content = PDF + os.urandom(kb * 1024 - len(PDF))
            digest = hashlib.sha256(content).hexdigest()
            path = root / digest[:2] / digest[2:4] / digest
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            rows.append({"id": document_id, "sha": digest, "size": len(content)})
            total += len(content)
        connection.execute(
            sa.text("UPDATE document SET sha256 = :sha, size = :size WHERE id = :id"), rows
        )
    return len(ids), total


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _fresh_target(database: Database, tmp: Path) -> tuple[dict[str, str], str | None]:
    """The environment of an empty installation (the source's secret: its anchor key), and the
    PostgreSQL database to drop afterwards."""
    name = None
    if database.name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'restored.db'}"
    else:
        name = f"relief_bench_restore_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("+psycopg", "+asyncpg")
    env = base_env(tmp, url)
    env["RELIEF_SECRET_KEY"] = database.env["RELIEF_SECRET_KEY"]
    return env, name


def _drop(name: str) -> None:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def measure(kind: str, cases: int, kb: int) -> dict[str, object]:
    with bench_database(kind) as database:
        fill(database, cases)
        files, file_bytes = _document_files(database, kb)
        tmp = Path(tempfile.mkdtemp(prefix="relief-bench-backup-"))
        target, dropped = _fresh_target(database, tmp / "restored")
        try:
            backup = tmp / "backup"
            backup_s, said = _timed(database.env, "backup", str(backup))
            print(f"  {said}", flush=True)  # noqa: T201
            restore_s, said = _timed(target, "restore", str(backup))
            print(f"  {said}", flush=True)  # noqa: T201
            verify_s, _ = _timed(target, "audit", "verify")
            doctor_s, _ = _timed(target, "doctor")
            database_file = next(p for p in backup.iterdir() if p.name.startswith("database."))
            return {
                "backend": kind,
                "cases": cases,
                "files": files,
                "files_mb": file_bytes / 2**20,
                "database_mb": database_file.stat().st_size / 2**20,
                "backup_mb": _size(backup) / 2**20,
                "backup_s": backup_s,
                "restore_s": restore_s,
                "verify_s": verify_s,
                "doctor_s": doctor_s,
            }
        finally:
            if dropped is not None:
                _drop(dropped)
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--document-kb", type=int, default=100)
    args = parser.parse_args()
    results = []
    for kind in args.backends.split(","):
        print(f"{kind}: filling {args.cases} cases …", flush=True)  # noqa: T201
        results.append(measure(kind, args.cases, args.document_kb))
    print(  # noqa: T201
        "\n| backend | cases | document files | database copy | backup dir | relief backup "
        "| relief restore | audit verify | doctor |\n|---|---|---|---|---|---|---|---|---|"
    )
    for r in results:
        print(  # noqa: T201
            f"| {r['backend']} | {r['cases']:,} | {r['files']:,} ({r['files_mb']:.0f} MB) "
            f"| {r['database_mb']:.1f} MB | {r['backup_mb']:.0f} MB | {r['backup_s']:.1f} s "
            f"| {r['restore_s']:.1f} s | {r['verify_s']:.1f} s | {r['doctor_s']:.1f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
