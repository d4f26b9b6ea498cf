"""Load: N clients drive emergency-consolation cases through a real server (prints numbers;
not a test).

    .venv/bin/python bench/load.py [--backend postgres|sqlite|both] [--clients 8]
        [--duration 30] [--max-cases 20000] [--prepared 25] [--workers N] [--py-spy FILE]

For each backend: a new migrated and seeded database, ``relief serve --workers N`` on a
loopback port, one login per demo user (argon2 costs ~190 ms: the clients share the tokens,
as each office's browser holds its own), then two phases with N concurrent clients:

1. whole chains, until the time or the case budget is spent: submit a case, upload its six
   documents, and for each of the five levels read that user's inbox and complete the task;
2. completions only: each client first prepares ``--prepared`` cases (untimed), then all of
   them complete those cases' tasks, level after level — the figure comparable to a workflow
   engine's "task completions per second".

Every response is checked; every case must end ``paid``. It prints cases/s, task
completions/s, p50/p95/p99 of complete, inbox, submit and upload, CPU per case of the server,
PostgreSQL and the generator itself (it runs on the same two cores), and the bytes the
database keeps per finished case (tables, indexes and TOAST after VACUUM FULL, as growth over
the seeded database; and the workflow state alone). Document files are stored outside the
database, content-addressed, and not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    CHAIN,
    Database,
    Served,
    approve_levels,
    bearer_headers,
    bench_database,
    checked,
    percentiles_ms,
    serving,
    submit_case,
)


@dataclass
class Run:
    deadline: float
    cases_left: int
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cases: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def completions(self) -> int:
        return len(self.latencies["complete"])

    async def send(self, kind: str, request: Awaitable[httpx.Response]) -> httpx.Response:
        """``checked``, timed under ``kind``."""
        started = time.perf_counter()
        try:
            return await checked(kind, request)
        finally:
            self.latencies[kind].append(time.perf_counter() - started)

    def take_case(self) -> bool:
        if time.perf_counter() >= self.deadline or self.cases_left <= 0 or self.failures:
            return False
        self.cases_left -= 1
        return True


async def _approve(
    client: httpx.AsyncClient,
    headers: dict[str, dict],
    run: Run,
    case_id: int,
    task_id: int,
    *,
    read_inbox: bool,
) -> None:
    """Every level approves, timed; the case must end paid."""
    status = await approve_levels(
        client, headers, case_id, task_id, send=run.send, read_inbox=read_inbox
    )
    if status != "paid":
        raise RuntimeError(f"case {case_id} ended {status}, not paid")
    run.cases += 1


async def _chains(base: str, headers: dict[str, dict], run: Run) -> None:
    """One client of the chains phase: whole cases, one after another."""
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30) as client:
        while run.take_case():
            try:
                case_id, task_id = await submit_case(client, headers, run.send)
                await _approve(client, headers, run, case_id, task_id, read_inbox=True)
            except Exception as error:  # noqa: BLE001 - reported, and the run stops
                run.failures.append(str(error))


async def _completions(
    base: str, headers: dict[str, dict], run: Run, cases: int, start: asyncio.Barrier
) -> None:
    """One client of the completions phase: prepares its cases untimed, waits for the others,
    then only completes tasks."""
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30) as client:
        prepared = [await submit_case(client, headers) for _ in range(cases)]
        await start.wait()
        for case_id, task_id in prepared:
            try:
                await _approve(client, headers, run, case_id, task_id, read_inbox=False)
            except Exception as error:  # noqa: BLE001 - reported, and the run stops
                run.failures.append(str(error))
                return


@dataclass
class Phases:
    chains: Run
    chains_took: float
    cpu: tuple[float, float, float]  # chains phase: server, PostgreSQL, this generator
    completions: Run
    completions_took: float


async def _drive(base: str, server_pid: int, args: argparse.Namespace) -> Phases:
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30) as client:
        headers = await bearer_headers(client, CHAIN)
    chains = Run(deadline=time.perf_counter() + args.duration, cases_left=args.max_cases)
    cpu_before, own_before = _cpu_seconds(server_pid), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(_chains(base, headers, chains) for _ in range(args.clients)))
    chains_took = time.perf_counter() - started
    cpu_after = _cpu_seconds(server_pid)
    cpu = (
        cpu_after[0] - cpu_before[0],
        cpu_after[1] - cpu_before[1],
        time.process_time() - own_before,
    )
    completions = Run(deadline=0, cases_left=0)
    barrier = asyncio.Barrier(args.clients + 1)
    clients = [
        asyncio.create_task(_completions(base, headers, completions, args.prepared, barrier))
        for _ in range(args.clients)
    ]
    await barrier.wait()
    started = time.perf_counter()
    await asyncio.gather(*clients)
    return Phases(chains, chains_took, cpu, completions, time.perf_counter() - started)


def stored_bytes(database: Database) -> tuple[dict[str, int], int]:
    """(bytes per table, its indexes and TOAST included; sum of workflow state bytes)."""
    with database.engine.connect() as connection:
        # What the cases keep, not the dead row versions of their updates (autovacuum is off
        # on the benchmark machine, and a plain VACUUM does not give pages back).
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM FULL" if database.name == "postgres" else "VACUUM"
        )
        if database.name == "postgres":
            rows = connection.execute(
                sa.text(
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            ).all()
            tables = {name: int(size) for name, size in rows}
        else:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            # dbstat: pages per table and index; an index counts towards its table.
            rows = connection.exec_driver_sql(
                "SELECT coalesce(m.tbl_name, s.name), sum(s.pgsize) FROM dbstat s "
                "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY 1"
            ).all()
            tables = {name: int(size) for name, size in rows}
        state = connection.execute(
            sa.text("SELECT coalesce(sum(length(workflow_state)), 0) FROM application")
        ).scalar_one()
    return tables, int(state)


@contextmanager
def _profiled(server: Served, output: str | None) -> Iterator[None]:
    """With ``--py-spy FILE``: record the server's processes (all workers) while the load runs,
    as a flame graph (SVG) for ``py-spy``; needs ptrace rights (root, or CAP_SYS_PTRACE)."""
    if not output:
        yield
        return
    recorder = subprocess.Popen(
        [str(Path(sys.executable).with_name("py-spy")), "record", "--subprocesses", "--pid"]
        + [str(server.pid), "--rate", "200", "--output", output, "--nonblocking"]
        + (["--format", "raw"] if not output.endswith(".svg") else []),
        stdout=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)


def _processes() -> Iterator[tuple[int, int, str, float]]:
    """(pid, parent pid, command line, user + system CPU seconds) of every live process."""
    ticks = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(proc.name), int(fields[1]), command, (int(fields[11]) + int(fields[12])) / ticks


def _cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU seconds so far of the server (its process and its workers) and of PostgreSQL's
    processes (all of them: the server's connections and the background writers)."""
    processes = list(_processes())
    tree, server, postgres = {server_pid}, 0.0, 0.0
    for _ in range(3):  # supervisor → workers → their helpers
        tree |= {pid for pid, parent, _, _ in processes if parent in tree}
    for pid, _, command, cpu in processes:
        if pid in tree:
            server += cpu
        elif command.startswith("postgres"):
            postgres += cpu
    return server, postgres


def _latencies(run: Run, names: tuple[str, ...]) -> None:
    for name in names:
        values = run.latencies[name]
        p50, p95, p99 = percentiles_ms(values)
        print(  # noqa: T201
            f"  {name:<8} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
            f"p99 {p99:6.1f} ms  (n={len(values)}, "
            f"mean {statistics.fmean(values) * 1000:.1f} ms)"
        )


def bench(kind: str, args: argparse.Namespace) -> int:
    with bench_database(kind) as database:
        before, _ = stored_bytes(database)
        workers = args.workers or (2 if kind == "postgres" else 1)
        with serving(database, workers=workers) as server, _profiled(server, args.py_spy):
            phases = asyncio.run(_drive(server.url, server.pid, args))
        after, state = stored_bytes(database)
    run, elapsed, cpu = phases.chains, phases.chains_took, phases.cpu
    failures = run.failures + phases.completions.failures
    if failures:
        print(f"{kind}: FAILED after {run.cases} cases: {failures[0]}")  # noqa: T201
        return 1
    cases = max(run.cases, 1)
    print(  # noqa: T201
        f"\n{kind}: {args.clients} clients, {workers} server workers\n"
        f" whole chains (submit, 6 uploads, then per level: inbox + complete), {elapsed:.1f} s, "
        f"{run.cases} cases paid\n"
        f"  cases/s {run.cases / elapsed:.1f}   task completions/s "
        f"{run.completions / elapsed:.1f}   requests/s "
        f"{sum(len(v) for v in run.latencies.values()) / elapsed:.0f}"
    )
    _latencies(run, ("complete", "inbox", "submit", "upload"))
    postgres = f"PostgreSQL {cpu[1] / cases * 1000:.0f} ms, " if kind == "postgres" else ""
    print(  # noqa: T201
        f"  CPU per paid case: server {cpu[0] / cases * 1000:.0f} ms, {postgres}this load "
        f"generator {cpu[2] / cases * 1000:.0f} ms (the two cores had "
        f"{2 * elapsed / cases * 1000:.0f} ms per case)"
    )
    done, took = phases.completions, phases.completions_took
    print(  # noqa: T201
        f" completions only ({args.prepared} prepared cases per client, each level approves "
        f"in turn), {took:.1f} s\n"
        f"  task completions/s {done.completions / took:.1f}"
    )
    _latencies(done, ("complete",))
    paid = run.cases + done.cases
    grown = {name: size - before.get(name, 0) for name, size in after.items()}
    largest = sorted(grown.items(), key=lambda item: -item[1])[:6]
    print(  # noqa: T201
        f" stored per finished case ({paid} cases): {sum(grown.values()) / paid / 1024:.1f} KB "
        f"in the database (tables + indexes), of which workflow state "
        f"{state / paid / 1024:.2f} KB; largest: "
        + ", ".join(f"{name} {size / paid / 1024:.1f} KB" for name, size in largest)
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--max-cases", type=int, default=20_000)
    parser.add_argument(
        "--prepared", type=int, default=25, help="cases per client for the completions phase"
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="uvicorn worker processes (default: 2 on PostgreSQL, 1 on SQLite, whose one "
        "writer at a time makes a second process wait in SQLite's busy loop)",
    )
    parser.add_argument("--py-spy", metavar="SVG", help="profile the server into this file")
    args = parser.parse_args()
    kinds = ("postgres", "sqlite") if args.backend == "both" else (args.backend,)
    return max(bench(kind, args) for kind in kinds)


if __name__ == "__main__":
    sys.exit(main())
