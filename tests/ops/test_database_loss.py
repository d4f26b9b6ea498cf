"""The database lost for a moment: requests fail fast with 503 problem responses, never 500
and never a hang, and the same server process answers normally again once the database is
back, with no restart. PostgreSQL only: a SQLite file cannot go away while it is open.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, STARTUP_S, _free_port, _postgres_admin, assert_problem, base_env
from tests.factories import application
from tests.flows.helpers import OwnServer, own_server

# A request while the database is away must be answered within this (connect timeout 5 s).
ANSWER_S = 15.0
# After the database returns, the server must answer normally again within this.
RECOVER_S = 10.0
UNAVAILABLE = "service-unavailable"


@contextmanager
def database_away(server: OwnServer) -> Iterator[None]:
    """Refuse new connections to the server's database and cut every open one, then allow
    them again."""
    name = server.backend.sync_url.rsplit("/", 1)[1]
    admin = _postgres_admin()
    assert admin is not None
    server.backend.engine.dispose()  # the test's own connections
    try:
        with admin.connect() as db:
            db.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            db.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        yield
    finally:
        with admin.connect() as db:
            db.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def timed(call: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()  # type: ignore[operator]
    return response, time.monotonic() - started


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_database_lost_for_a_moment_503_then_recovers_without_restart(
    kind: str, tmp_path: Path
) -> None:
    if kind == "sqlite":
        pytest.skip("PostgreSQL only: a SQLite file cannot be taken away from an open server")
    with own_server(kind, tmp_path) as server:
        api = server.api
        assert api is not None
        assert server.process is not None
        pid = server.process.pid
        for user in ("cw.lizhuang", "au.county"):
            api.server.token(user)  # tokens are issued while the database is there
        case = api.submit(application())
        # Enough requests that the pool holds several connections, all about to go stale.
        for _ in range(5):
            assert api.get(f"/applications/{case['id']}", as_="au.county").status_code == 200

        with database_away(server):
            for _ in range(3):  # stale pooled connections, then refused new ones
                read, took = timed(
                    lambda: api.get(
                        f"/applications/{case['id']}", as_="au.county", timeout=ANSWER_S
                    )
                )
                assert_problem(read, 503, UNAVAILABLE)
                assert took < ANSWER_S
            write, took = timed(
                lambda: api.post(
                    "/applications", as_="cw.lizhuang", json=application(), timeout=ANSWER_S
                )
            )
            assert_problem(write, 503, UNAVAILABLE)
            assert took < ANSWER_S
            login, _ = timed(
                lambda: api.client.post(
                    "/auth/token",
                    data={"username": "ca.county", "password": "relief-demo"},
                    timeout=ANSWER_S,
                )
            )
            assert_problem(login, 503, UNAVAILABLE)
            health = httpx.get(f"{api.server.url}/healthz", timeout=ANSWER_S)
            assert health.status_code == 503

        # Back: the same process serves again by itself.
        deadline = time.monotonic() + RECOVER_S
        while True:
            response = api.get(f"/applications/{case['id']}", as_="au.county", timeout=ANSWER_S)
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            assert_problem(response, 503, UNAVAILABLE)
            time.sleep(0.2)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == case["id"]
        assert server.process is not None
        assert server.process.pid == pid
        assert server.process.poll() is None
        again = api.submit(application())  # writes work too, and the trail is whole
        assert again["status"] == "in_progress"
        report = api.get("/audit/verify", as_="au.county")
        assert report.status_code == 200, report.text
        assert report.json()["ok"] is True


def test_no_database_server_at_all_gives_503_not_500(tmp_path: Path) -> None:
    """Nothing listens at the database's address: asyncpg's ConnectionRefusedError (an
    OSError that SQLAlchemy does not wrap) is a 503 too."""
    with socket_nobody_listens() as port:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/relief"
        env = base_env(tmp_path, url)
        http_port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(http_port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{http_port}"
            deadline = time.monotonic() + STARTUP_S
            while True:
                try:
                    health = httpx.get(f"{base}/healthz", timeout=ANSWER_S)
                    break
                except httpx.TransportError:
                    assert process.poll() is None, "relief serve exited"
                    assert time.monotonic() < deadline, "relief serve did not start"
                    time.sleep(0.1)
            assert health.status_code == 503
            response = httpx.post(
                f"{base}/api/v1/auth/token",
                data={"username": "cw.lizhuang", "password": "relief-demo"},
                timeout=ANSWER_S,
            )
            assert_problem(response, 503, UNAVAILABLE)
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def socket_nobody_listens() -> Iterator[int]:
    yield _free_port()  # bound and closed again: connecting to it is refused
