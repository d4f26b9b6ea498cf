"""Crash: ``kill -9`` the server in the middle of load, restart it, and ``relief doctor`` finds
every case's task rows, status and payout in agreement with its stored workflow, no payout
doubled and every audit chain whole. Runs on SQLite and PostgreSQL, each on its own database.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Api, Server
from tests.factories import EC_DOCUMENTS, VILLAGE_HEKOU, VILLAGE_LIZHUANG, application
from tests.flows.helpers import OwnServer, own_server, run_case
from tests.ops.helpers import (
    ACTORS,
    CHAIN,
    audit_verify,
    doctor,
    doubled_payouts,
    finish,
    paid_events_per_case,
    problem_lines,
    scalar_rows,
)

CLIENTS = 4
# Load runs at least this long, and until this many cases are paid, before the kill. The most
# it may take guards against a stuck load, not a speed bound: a busy machine is slow.
MIN_LOAD_S = 2.0
MIN_PAID = 4
MAX_LOAD_S = 120.0


class Load:
    """``CLIENTS`` threads, each with its own HTTP connection, running whole chains until the
    server goes away: submit, attach the documents, approve every level, pay."""

    def __init__(self, server: OwnServer) -> None:
        assert server.api is not None
        self.server = server.api.server
        for users in ACTORS.values():  # log everyone in before the load starts
            for user in users.values():
                self.server.token(user)
        self.paid = 0
        self.cut_off: list[str] = []  # requests that failed because the server died
        self.failures: list[str] = []  # anything else that went wrong: a real failure
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._client, args=(number,), daemon=True)
            for number in range(CLIENTS)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _client(self, number: int) -> None:
        village = (VILLAGE_LIZHUANG, VILLAGE_HEKOU)[number % 2]
        users = ACTORS[village]
        api = Api(Server(self.server.url, self.server.backend, dict(self.server.tokens)))
        try:
            while True:
                case_id = api.submit(application(village=village), as_=users["caseworker"])["id"]
                for kind in EC_DOCUMENTS:
                    response = api.attach(case_id, kind, as_=users["caseworker"])
                    assert response.status_code == 201, response.text
                run_case(api, case_id, [users[role] for role in CHAIN])
                with self.lock:
                    self.paid += 1
        except httpx.TransportError as error:  # the server was killed under this request
            with self.lock:
                self.cut_off.append(f"client {number}: {type(error).__name__}")
        except Exception as error:  # noqa: BLE001 - reported by the test
            with self.lock:
                self.failures.append(f"client {number}: {type(error).__name__}: {error}")
        finally:
            api.client.close()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a load client hangs after the kill"


def kill_9(server: OwnServer) -> None:
    """SIGKILL: no shutdown handler, no lifespan end, no rollback but the database's own."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)
    assert server.process.wait(timeout=10) == -signal.SIGKILL
    server.process = None
    if server.api is not None:
        server.api.client.close()
        server.api = None


def cases(server: OwnServer) -> list[sa.Row]:
    return list(scalar_rows(server.backend, "SELECT id, village_code, status FROM application"))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_kill_9_under_load_then_restart_leaves_every_case_consistent(
    kind: str, tmp_path: Path
) -> None:
    with own_server(kind, tmp_path) as server:
        load = Load(server)
        started = time.monotonic()
        load.start()
        while time.monotonic() - started < MAX_LOAD_S and (
            time.monotonic() - started < MIN_LOAD_S or load.paid < MIN_PAID
        ):
            assert not load.failures, load.failures
            time.sleep(0.05)
        assert load.paid >= MIN_PAID, f"only {load.paid} chains ran before the kill"
        # Kill while a chain is under way in the database, not at an instant when every client
        # happens to be inside a submission that has not committed yet (seen once in CI).
        deadline = time.monotonic() + 30
        while all(row.status == "paid" for row in cases(server)) and time.monotonic() < deadline:
            time.sleep(0.01)

        kill_9(server)
        load.join()

        assert not load.failures, load.failures
        # Every client was cut off in the middle of its chain by the kill.
        assert len(load.cut_off) == CLIENTS, load.cut_off
        before = cases(server)
        assert any(row.status != "paid" for row in before), "the kill left no case half-way"

        # Straight after the crash, before anything repairs or continues anything.
        crashed = doctor(server.backend)
        assert problem_lines(crashed) == [], crashed.stdout
        assert crashed.returncode == 0, crashed.stdout + crashed.stderr
        assert f"doctor: {len(before)} cases" in crashed.stdout

        # The same database, a new process: every case the kill interrupted goes on to the end,
        # and new work runs too.
        api = server.start()
        for row in before:
            assert finish(api, row.id, row.village_code) == "paid", row
        for village in ACTORS:
            fresh = api.submit(application(village=village), as_=ACTORS[village]["caseworker"])
            assert finish(api, fresh["id"], village) == "paid"

        after = cases(server)
        assert len(after) == len(before) + len(ACTORS)
        assert {row.status for row in after} == {"paid"}
        assert doubled_payouts(server.backend) == []
        paid = scalar_rows(
            server.backend,
            "SELECT application_id, bank_reference FROM payout WHERE status = 'paid'",
        )
        assert sorted(row.application_id for row in paid) == sorted(row.id for row in after)
        assert all(row.bank_reference == f"BOC-{row.application_id}" for row in paid)
        assert paid_events_per_case(server.backend) == {row.id: 1 for row in after}

        checked = doctor(server.backend)
        assert problem_lines(checked) == [], checked.stdout
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"doctor: {len(after)} cases" in checked.stdout
        assert f"{len(after)} payouts" in checked.stdout
        verified = audit_verify(server.backend)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert verified.stdout.startswith("ok: ")
