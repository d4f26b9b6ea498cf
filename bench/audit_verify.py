"""Audit verify throughput (events/s) on a large chain (not a test: prints numbers).

    .venv/bin/python bench/audit_verify.py [--events 1000000] [--database-url postgresql+asyncpg://…]

Migrates a fresh database (a temporary SQLite file unless a URL of an empty PostgreSQL database
is given), fills one county chain with ``--events`` valid events (hashes computed as the service
does; PostgreSQL through COPY), runs VACUUM ANALYZE, then times ``relief audit verify``.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import ROOT, base_env, relief_cli  # noqa: E402
from service.audit.chain import format_at, link_hash  # noqa: E402
from service.audit.models import GENESIS_HASH  # noqa: E402

COLUMNS = (
    "county", "seq", "at", "actor", "role", "region", "action", "application_id", "task_id",
    "before", "after", "comment", "request_id", "prev_hash", "hash",
)  # fmt: skip


def _events(count: int, county: str = "130123") -> list[dict]:
    start, prev, rows = datetime(2026, 1, 1, tzinfo=UTC), GENESIS_HASH, []
    for seq in range(1, count + 1):
        fields = {
            "county": county,
            "seq": seq,
            "at": start + timedelta(seconds=seq),
            "actor": "tr.dongcheng",
            "role": "township_reviewer",
            "region": "130123100201",
            "action": "task_completed",
            "application_id": seq // 12 + 1,
            "task_id": seq,
            "before": {"status": "in_progress"},
            "after": {"decision": "approve", "status": "in_progress"},
            "comment": "同意",
            "request_id": f"{seq:032x}",
        }
        digest = link_hash(prev, fields)
        rows.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return rows


def _load_postgres(engine: sa.Engine, rows: list[dict]) -> None:
    buffer = io.StringIO()
    for row in rows:
        values = [
            json.dumps(row[c], ensure_ascii=False) if c in ("before", "after") else row[c]
            for c in COLUMNS
        ]
        values[2] = format_at(row["at"])
        buffer.write("\t".join(str(v) for v in values) + "\n")
    buffer.seek(0)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            with cursor.copy(f"COPY audit_event ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                while chunk := buffer.read(1 << 20):
                    copy.write(chunk)
            last = rows[-1]
            cursor.execute(
                "INSERT INTO audit_head (county, seq, hash) VALUES (%s, %s, %s)",
                (last["county"], last["seq"], last["hash"]),
            )
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE audit_event"))


def _load_sqlite(engine: sa.Engine, rows: list[dict]) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"INSERT INTO audit_event ({', '.join(COLUMNS)}) VALUES "
                f"({', '.join(':' + c for c in COLUMNS)})"
            ),
            [
                {
                    **row,
                    "at": row["at"].isoformat(),
                    "before": json.dumps(row["before"], ensure_ascii=False),
                    "after": json.dumps(row["after"], ensure_ascii=False),
                }
                for row in rows
            ],
        )
        last = rows[-1]
        connection.execute(
            sa.text("INSERT INTO audit_head (county, seq, hash) VALUES (:c, :s, :h)"),
            {"c": last["county"], "s": last["seq"], "h": last["hash"]},
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="relief-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{tmp}/relief.db"
    env = base_env(tmp, url)
    relief_cli(env, "db", "upgrade")
    sync_url = url.replace("+asyncpg", "+psycopg").replace("+aiosqlite", "")
    engine = sa.create_engine(sync_url)
    started = time.perf_counter()
    rows = _events(args.events)
    built = time.perf_counter() - started
    started = time.perf_counter()
    (_load_postgres if url.startswith("postgresql") else _load_sqlite)(engine, rows)
    loaded = time.perf_counter() - started
    del rows
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "audit", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    verified = time.perf_counter() - started
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"backend={backend} events={args.events}")  # noqa: T201
    print(f"  chain built in {built:.1f} s, loaded in {loaded:.1f} s")  # noqa: T201
    print(f"  relief audit verify: {verified:.1f} s = {args.events / verified:,.0f} events/s")  # noqa: T201
    print(f"  {result.stdout.strip()}")  # noqa: T201
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
