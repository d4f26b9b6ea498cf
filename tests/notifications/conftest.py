"""An outbox to test: a server and database of its own per backend, a movable clock, a real
local SMS gateway, and ``relief worker --once`` processes that deliver."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.clock import set_clock
from tests.conftest import Api, relief_cli
from tests.flows.helpers import OwnServer, own_server
from tests.notifications import gateway as sms
from tests.notifications.gateway import Gateway

BACKOFF_S = 60
MAX_ATTEMPTS = 3


@dataclass
class Outbox:
    server: OwnServer
    api: Api
    gateway: Gateway
    clock: Path
    notify_file: Path

    @property
    def env(self) -> dict[str, str]:
        return self.server.backend.env

    def now(self) -> datetime:
        return datetime.fromisoformat(self.clock.read_text())

    def advance(self, seconds: float) -> None:
        """Move every process's clock forward (the server's and the workers')."""
        set_clock(self.clock, self.now() + timedelta(seconds=seconds))

    def work(self, **env: str) -> dict[str, int]:
        """One ``relief worker --once`` round; its summary, e.g. {"timers": 0, ...}."""
        done = relief_cli({**self.env, **env}, "worker", "--once")
        assert "worker_source_failed" not in done.stdout + done.stderr, done.stdout + done.stderr
        last = done.stdout.strip().splitlines()[-1]
        return {name: int(count) for name, count in (part.split("=") for part in last.split())}

    def drain(self) -> None:
        """Rounds until nothing due is left (earlier tests' messages included)."""
        while self.work()["notifications"]:
            pass

    def rows(self, application_id: int, **where: str) -> list[dict]:
        """The case's messages as stored, oldest first."""
        clauses = " ".join(f"AND {name} = :{name}" for name in where)
        statement = sa.text(
            f"SELECT * FROM notification WHERE application_id = :case {clauses} ORDER BY id"
        )
        with self.server.backend.engine.connect() as connection:
            result = connection.execute(statement, {"case": application_id, **where})
            return [dict(row._mapping) for row in result]

    def file_lines(self) -> list[dict]:
        if not self.notify_file.exists():
            return []
        return [json.loads(line) for line in self.notify_file.read_text("utf-8").splitlines()]


def phone() -> str:
    return f"1{random.choice('3456789')}{random.randint(0, 999_999_999):09d}"


@pytest.fixture(scope="session")
def sms_gateway() -> Iterator[Gateway]:
    gateway, server = sms.start()
    yield gateway
    server.shutdown()
    server.server_close()


def _serve(kind: str, tmp: Path, gateway: Gateway) -> Iterator[tuple[OwnServer, Path, Path]]:
    clock, notify_file = tmp / "clock", tmp / "notifications.jsonl"
    set_clock(clock, datetime.now(UTC).replace(microsecond=0))
    settings = {
        "RELIEF_CLOCK_FILE": str(clock),
        "RELIEF_NOTIFY_FILE": str(notify_file),
        "RELIEF_SMS_URL": gateway.url,
        "RELIEF_SMS_TOKEN": sms.TOKEN,
        "RELIEF_SMS_TIMEOUT_SECONDS": "5",
        "RELIEF_JOB_BACKOFF_SECONDS": str(BACKOFF_S),
        "RELIEF_JOB_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
    }
    with own_server(kind, tmp, **settings) as server:
        yield server, clock, notify_file


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def outbox_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sms_gateway: Gateway
) -> Iterator[tuple[OwnServer, Path, Path]]:
    """One database per backend for every notification test (tests look at their own cases)."""
    yield from _serve(
        request.param, tmp_path_factory.mktemp(f"outbox-{request.param}"), sms_gateway
    )


@pytest.fixture
def outbox(outbox_server: tuple[OwnServer, Path, Path], sms_gateway: Gateway) -> Iterator[Outbox]:
    server, clock, notify_file = outbox_server
    assert server.api is not None
    box = Outbox(server, server.api, sms_gateway, clock, notify_file)
    box.drain()  # what earlier tests left due goes out first
    sms_gateway.reset()
    yield box
    sms_gateway.reset()
