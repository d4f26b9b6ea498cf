"""Query plans and timings of the auditor's filters on a large trail (not a test: prints them).

    .venv/bin/python bench/audit_queries.py [--events 100000] [--admin-url postgresql+psycopg://…]

Creates a scratch PostgreSQL database (dropped at the end), migrates it, appends ``--events``
chained events with plain INSERTs (the append-only triggers stay on): 60% in the demo county
130123, the rest in four other counties; then vacuums it. For the statement the service runs
for one page of ``GET /audit/events`` as the county auditor, it prints ``EXPLAIN (ANALYZE,
BUFFERS)`` of the first page and the time of a first and of a deep page (cursor at the middle).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import POSTGRES_ADMIN_URL, base_env, relief_cli  # noqa: E402
from service.audit import queries  # noqa: E402
from service.auth.models import User  # noqa: E402
from tests.audit.trail import append_events, synthetic_events  # noqa: E402

COUNTIES = {"130123": 0.6, "130124": 0.1, "130125": 0.1, "130126": 0.1, "130127": 0.1}
AUDITOR = User(username="au.county", full_name="-", password_hash="-", roles=["auditor"],
               jurisdiction="130123")  # fmt: skip


def _villages(county: str) -> list[str]:
    return [f"{county}{township}{village}" for township in ("100", "200", "300")
            for village in ("201", "202", "203", "204")]  # fmt: skip


def _filters(connection: sa.Connection) -> dict[str, queries.EventFilter]:
    def at(fraction: float) -> datetime:
        # The instant by which ``fraction`` of the county's events had happened.
        return connection.exec_driver_sql(
            "SELECT percentile_disc(%(f)s) WITHIN GROUP (ORDER BY at) FROM audit_event"
            " WHERE county = '130123'",
            {"f": fraction},
        ).scalar_one()

    return {
        "no filter (the county)": queries.EventFilter(),
        "application_id": queries.EventFilter(application_id=10_000_500),
        "actor": queries.EventFilter(actor="vi.00201.1"),
        "role=finance_officer": queries.EventFilter(role="finance_officer"),
        "action=payout_paid": queries.EventFilter(action="payout_paid"),
        "region=village": queries.EventFilter(region="130123100201"),
        "region=township": queries.EventFilter(region="130123200"),
        "since (the last 2%)": queries.EventFilter(since=at(0.98)),
        "since+until (10%)": queries.EventFilter(since=at(0.45), until=at(0.55)),
        "action+region": queries.EventFilter(action="action_refused", region="130123300"),
    }


def _compiled(query: queries.EventFilter) -> tuple[str, dict[str, Any]]:
    statement = queries.page_statement(AUDITOR, query)
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())  # type: ignore[attr-defined]
    return str(compiled), dict(compiled.params)


def _page_ms(connection: sa.Connection, query: queries.EventFilter) -> float:
    sql, params = _compiled(query)
    started = time.perf_counter()
    connection.exec_driver_sql(sql, params).all()
    return (time.perf_counter() - started) * 1000


def _report(connection: sa.Connection) -> None:
    for label, query in _filters(connection).items():
        sql, params = _compiled(query)
        plan = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params
        ).scalars()
        every, every_params = _compiled(replace(query, limit=10**9))
        ids = connection.exec_driver_sql(every, every_params).scalars().all()
        first = min(_page_ms(connection, query) for _ in range(3))
        deep_query = replace(query, after_id=ids[len(ids) // 2]) if ids else query
        deep = min(_page_ms(connection, deep_query) for _ in range(3))
        head = f"== {label}: {len(ids)} match; a page of 100: first {first:.2f} ms"
        print(f"{head}, from the middle {deep:.2f} ms")  # noqa: T201
        print("\n".join("   " + line for line in plan) + "\n")  # noqa: T201


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--admin-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    admin = sa.create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    name = f"relief_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    engine = sa.create_engine(url)
    try:
        env = base_env(Path(tempfile.mkdtemp()), url.replace("+psycopg", "+asyncpg"))
        relief_cli(env, "db", "upgrade")
        started = time.perf_counter()
        for county, share in COUNTIES.items():
            count = int(args.events * share)
            append_events(engine, county, synthetic_events(county, _villages(county), count))
        elapsed = time.perf_counter() - started
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # As autovacuum leaves an append-only table: statistics and the visibility map.
            connection.exec_driver_sql("VACUUM (ANALYZE) audit_event")
            total = connection.exec_driver_sql("SELECT count(*) FROM audit_event").scalar_one()
            rate = f"{total / elapsed:.0f}/s, chained, with the append-only triggers on"
            print(f"{total} events appended in {elapsed:.1f} s ({rate})\n")  # noqa: T201
            _report(connection)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
