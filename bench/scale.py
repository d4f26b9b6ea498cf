"""How the read paths cost as the database grows (not a test: prints tables).

    .venv/bin/python bench/scale.py [--backend postgres|sqlite] [--sizes 10000,100000,1000000]
        [--samples 200] [--audit full|lean] [--open-share 0.005] [--explain]

For each size: a new migrated and seeded database filled by ``bench/bulk.py`` with that many
emergency-consolation cases (0.5% still open, waiting at one of the five levels), then
``relief serve --workers 1`` on it, one login per demo user, and ``--samples`` sequential
requests (after a warm-up) of each read: every acting user's inbox, case search with its
filters as the county approver and as a caseworker, and the auditor's trail (first page,
filtered by case, actor and a time window, and one case's trail). Prints p50/p95/p99 in ms,
the database size and bytes per case; at the largest size it also times ``relief audit
verify`` (events/s). ``--explain`` adds EXPLAIN (ANALYZE, BUFFERS) of the county inboxes, two
case searches and an audit filter, as the service builds them. Latencies are measured over
HTTP on loopback by a client on the same two cores as the server.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bulk import fill  # noqa: E402
from bench.common import ROOT, Database, bench_database, percentiles_ms, serving  # noqa: E402
from harness import DEMO_PASSWORD  # noqa: E402
from service.applications.models import Application  # noqa: E402
from service.audit import queries as audit_queries  # noqa: E402
from service.auth.dependencies import acting_roles  # noqa: E402
from service.auth.models import User  # noqa: E402
from service.regions.jurisdiction import visible_to  # noqa: E402
from service.tasks import service as tasks_service  # noqa: E402

USERS = ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county", "fo.county", "au.county")
WARMUP = 5


def _logins(client: httpx.Client) -> dict[str, dict[str, str]]:
    headers = {}
    for user in USERS:
        response = client.post("/auth/token", data={"username": user, "password": DEMO_PASSWORD})
        response.raise_for_status()
        headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers


def _probe(database: Database) -> dict[str, str]:
    """Values the filters use: a case from the middle of the trail, a day a year ago."""
    with database.engine.connect() as connection:
        middle = connection.execute(sa.text("SELECT max(id) / 2 FROM application")).scalar_one()
    day = (datetime.now(UTC) - timedelta(days=365)).replace(microsecond=0)
    return {
        "case": str(middle),
        "since": day.isoformat().replace("+00:00", "Z"),
        "until": (day + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        "from": (day - timedelta(days=30)).date().isoformat(),
        "to": day.date().isoformat(),
    }


def requests(p: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, user, path) of every measured read."""
    inbox = [(f"inbox {user}", user, "/tasks") for user in USERS[:5]]
    search = [
        ("cases ca: first page", "ca.county", "/applications"),
        ("cases ca: status=in_progress", "ca.county", "/applications?status=in_progress"),
        ("cases ca: status=paid", "ca.county", "/applications?status=paid"),
        ("cases ca: region=township", "ca.county", "/applications?region=130123200"),
        ("cases ca: village+paid", "ca.county", "/applications?region=130123300205&status=paid"),
        ("cases ca: program", "ca.county", "/applications?program=emergency_consolation"),
        ("cases ca: 30 days a year ago", "ca.county",
         f"/applications?submitted_from={p['from']}&submitted_to={p['to']}"),
        ("cases ca: cursor (middle)", "ca.county", f"/applications?cursor={p['case']}"),
        ("cases cw: first page", "cw.lizhuang", "/applications"),
        ("cases cw: status=in_progress", "cw.lizhuang", "/applications?status=in_progress"),
    ]  # fmt: skip
    audit = [
        ("audit: first page", "au.county", "/audit/events"),
        ("audit: application_id", "au.county", f"/audit/events?application_id={p['case']}"),
        ("audit: actor=cw.lizhuang", "au.county", "/audit/events?actor=cw.lizhuang"),
        ("audit: one day a year ago", "au.county",
         f"/audit/events?since={p['since']}&until={p['until']}"),
        ("audit: action=payout_paid", "au.county", "/audit/events?action=payout_paid"),
        ("audit: case trail", "au.county", f"/audit/cases/{p['case']}"),
    ]  # fmt: skip
    return inbox + search + audit


def _measure(call: Callable[[], httpx.Response], samples: int) -> tuple[tuple, int]:
    """Percentiles of ``samples`` calls after a warm-up, and the last response's item count."""
    for _ in range(WARMUP):
        call().raise_for_status()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    body = response.json()
    items = body if isinstance(body, list) else body.get("items", [])
    return percentiles_ms(times), len(items)


def _size(database: Database) -> int:
    with database.engine.connect() as connection:
        if database.name == "postgres":
            return connection.execute(
                sa.text("SELECT pg_database_size(current_database())")
            ).scalar_one()
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
        return pages * connection.exec_driver_sql("PRAGMA page_size").scalar_one()


def _verify(database: Database) -> str:
    with database.engine.connect() as connection:
        events = connection.execute(sa.text("SELECT count(*) FROM audit_event")).scalar_one()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "audit", "verify"],
        cwd=ROOT,
        env=database.env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    elapsed = time.perf_counter() - started
    status = "ok" if result.returncode == 0 else f"FAILED: {result.stdout[-300:]}"
    rate = f"{events:,} events in {elapsed:.1f} s = {events / elapsed:,.0f} events/s"
    return f"relief audit verify: {rate}, {status}"


def _statements(database: Database) -> dict[str, Any]:
    """The SQL the service runs for the reads that cost most, with the callers' values."""
    with Session(database.engine) as session:
        users = {u.username: u for u in session.exec(select(User)).all()}
    ca, fo = users["ca.county"], users["fo.county"]
    statements = {}
    for user in (ca, fo):
        statements[f"inbox {user.username}"] = tasks_service._inbox_statement(
            one_case=False, overdue=None
        ).params(
            roles=sorted(acting_roles(user)), jurisdiction=user.jurisdiction, user_id=user.id,
            limit=100, application_id=None, now=datetime.now(UTC),
        )  # fmt: skip
    cases = select(Application).where(visible_to(ca)).order_by(col(Application.id).desc())
    statements["cases ca: status=paid"] = cases.where(Application.status == "paid").limit(50)
    statements["cases ca: region=township"] = cases.where(
        col(Application.village_code).startswith("130123200")
    ).limit(50)
    actor = audit_queries.EventFilter(actor="cw.lizhuang")
    statements["audit: actor"] = audit_queries.page_statement(users["au.county"], actor)
    return statements


def explain(database: Database) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements above (PostgreSQL)."""
    raw = database.engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for label, statement in _statements(database).items():
                compiled = statement.compile(dialect=postgresql.psycopg.dialect())  # type: ignore[attr-defined]
                state = compiled.construct_expanded_state()
                sql, params = state.statement, state.parameters
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join("     " + line for (line,) in cursor.fetchall())
                query = " ".join(sql.split())
                print(f"  -- {label}: {params}\n     {query}\n{plan}")  # noqa: T201
    finally:
        raw.close()


def measure(kind: str, size: int, args: argparse.Namespace, *, verify: bool) -> None:
    with bench_database(kind) as database:
        before = _size(database)
        started = time.perf_counter()
        fill(database, size, open_share=args.open_share, audit=args.audit)
        filled = time.perf_counter() - started
        total = _size(database)
        print(  # noqa: T201
            f"\n== {kind}, {size:,} cases (fill {filled:.0f} s): database {total / 2**20:,.0f} MiB,"
            f" {(total - before) / size / 1024:.1f} KiB per case"
        )
        print(f"  {'read':<34} {'p50':>7} {'p95':>7} {'p99':>7}  items  (ms)")  # noqa: T201
        with (
            serving(database, workers=1) as server,
            httpx.Client(base_url=f"{server.url}/api/v1", timeout=60) as client,
        ):
            headers = _logins(client)
            for label, user, path in requests(_probe(database)):
                (p50, p95, p99), items = _measure(
                    lambda path=path, user=user: client.get(path, headers=headers[user]),
                    args.samples,
                )
                flag = "  > 20 ms" if label.startswith("inbox") and p99 > 20 else ""
                print(  # noqa: T201
                    f"  {label:<34} {p50:7.1f} {p95:7.1f} {p99:7.1f} {items:6d}{flag}", flush=True
                )
        if args.explain and kind == "postgres":
            explain(database)
        if verify:
            print("  " + _verify(database), flush=True)  # noqa: T201


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--audit", choices=("full", "lean"), default="full")
    parser.add_argument("--open-share", type=float, default=0.005)
    parser.add_argument("--explain", action="store_true", help="print plans of the costly reads")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        measure(args.backend, size, args, verify=size == max(sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
