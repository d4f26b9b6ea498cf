"""What every benchmark starts with: a fresh database and ``relief serve`` on it."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    DEMO_PASSWORD,
    POSTGRES_ADMIN_URL,
    Backend,
    base_env,
    migrated_database,
    relief_cli,
    start_server,
    stop_server,
)
from tests.factories import EC_DOCUMENTS, PDF, application  # noqa: E402

# The demo users who act on an emergency-consolation case, level by level.
CHAIN = ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county", "fo.county")

# Sends one request and returns its response, raising on an error; ``kind`` names it
# ("submit", "upload", "inbox", "complete") for a caller that times or counts them.
Send = Callable[[str, Awaitable[httpx.Response]], Awaitable[httpx.Response]]


async def checked(kind: str, request: Awaitable[httpx.Response]) -> httpx.Response:
    response = await request
    if response.status_code >= 400:
        raise RuntimeError(f"{kind}: {response.status_code} {response.text[:300]}")
    return response


async def submit_case(
    client: httpx.AsyncClient, headers: dict[str, dict], send: Send = checked
) -> tuple[int, int]:
    """Submit a case and upload its six documents; returns (case id, its first task id)."""
    caseworker = headers[CHAIN[0]]
    submitted = await send(
        "submit", client.post("/applications", json=application(), headers=caseworker)
    )
    case = submitted.json()
    for kind in EC_DOCUMENTS:
        await send(
            "upload",
            client.post(
                f"/applications/{case['id']}/documents",
                data={"kind": kind},
                files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
                headers=caseworker,
            ),
        )
    return case["id"], case["tasks"][0]["id"]


async def approve_levels(
    client: httpx.AsyncClient,
    headers: dict[str, dict],
    case_id: int,
    task_id: int,
    users: tuple[str, ...] = CHAIN,
    send: Send = checked,
    *,
    read_inbox: bool = False,
) -> str:
    """Each of ``users`` in turn (reading the inbox first, as a person would, if asked)
    approves the case's task; returns the case's status after the last."""
    status = "?"
    for user in users:
        if read_inbox:
            await send("inbox", client.get("/tasks", headers=headers[user]))
        data = {"bank_reference": f"B{case_id}"} if user == "fo.county" else {}
        done = await send(
            "complete",
            client.post(
                f"/tasks/{task_id}/complete",
                json={"decision": "approve", "data": data},
                headers=headers[user],
            ),
        )
        result = done.json()
        status = result["status"]
        if result["next_tasks"]:
            task_id = result["next_tasks"][0]["id"]
    return status


def percentiles_ms(values: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 (nearest rank) of durations in seconds, in milliseconds."""
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return at(0.5), at(0.95), at(0.99)


# A benchmark's database is the harness's Backend, as a test's is: name ("sqlite" or
# "postgres"), async_url (the service's), sync_url, env (RELIEF_ settings of a server on it)
# and a synchronous engine.
Database = Backend


@contextmanager
def bench_database(kind: str) -> Iterator[Database]:
    """A new migrated and seeded database: a temporary SQLite file, or a PostgreSQL database
    created on the local server (``RELIEF_TEST_POSTGRES_URL``) and dropped afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="relief-bench-"))
    admin = None
    if kind == "postgres":
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with migrated_database(kind, tmp, admin) as database:
            yield database
    finally:
        if admin is not None:
            admin.dispose()


@dataclass
class Served:
    url: str
    pid: int  # the ``relief serve`` process (uvicorn's supervisor when workers > 1)


@contextmanager
def serving(database: Database, *, workers: int = 1) -> Iterator[Served]:
    """``relief serve --workers N`` on the database."""
    process, url = start_server(database.env, workers=workers)
    try:
        yield Served(url, process.pid)
    finally:
        stop_server(process, timeout=20)


@contextmanager
def fresh_server(database_url: str | None) -> Iterator[str]:
    """Serve a new database (a temporary SQLite file unless a URL of an empty PostgreSQL
    database is given); yields the server's base URL and stops it afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="relief-bench-"))
    env = base_env(tmp, database_url or f"sqlite+aiosqlite:///{tmp}/relief.db")
    relief_cli(env, "db", "upgrade")
    relief_cli(env, "seed-demo")
    process, base = start_server(env)
    try:
        yield base
    finally:
        stop_server(process)


async def bearer_headers(client: httpx.AsyncClient, users: tuple[str, ...]) -> dict[str, dict]:
    """One login per demo user (argon2 costs ~190 ms: benchmarks share the tokens); the
    Authorization header of each."""
    headers = {}
    for user in users:
        response = await client.post(
            "/auth/token", data={"username": user, "password": DEMO_PASSWORD}
        )
        response.raise_for_status()
        headers[user] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return headers
