"""Test fixtures: a real server over real HTTP, on SQLite and on PostgreSQL.

Every test that takes ``api`` (or ``server``) runs once per database. Each database is fresh
for the session: migrated with ``relief db upgrade`` and seeded with the demo data, then served
by ``relief serve`` in a subprocess. Tests create their own cases with random households, so
they do not depend on each other.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from service.auth.models import User
from service.auth.passwords import hash_password
from tests.factories import EC_DOCUMENTS, PDF, application

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "relief-demo"
TEST_UPLOAD_LIMIT = 256 * 1024
POSTGRES_ADMIN_URL = os.environ.get(
    "RELIEF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass
class Backend:
    name: str
    async_url: str
    sync_url: str
    env: dict[str, str]
    engine: sa.Engine = field(repr=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def relief_cli(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the ``relief`` command as an operator would, with the given environment."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


PROBLEM = "urn:relief:problem:"


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict:
    """Assert an RFC 9457 problem with ``status`` (and type ``…:<slug>``); return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith(PROBLEM)
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"]
    if slug is not None:
        assert body["type"] == PROBLEM + slug, body
    return body


def _postgres_admin() -> sa.Engine | None:
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            return engine
    except sa.exc.OperationalError:
        return None


def base_env(tmp: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    env.update(
        RELIEF_ENV="test",
        RELIEF_DATABASE_URL=database_url,
        RELIEF_SECRET_KEY="test-" + uuid.uuid4().hex + uuid.uuid4().hex,
        RELIEF_FILES_DIR=str(tmp / "files"),
        # Workers of the tests write their messages here, never into the repository's var/.
        RELIEF_NOTIFY_FILE=str(tmp / "notifications.jsonl"),
        RELIEF_MAX_UPLOAD_BYTES=str(TEST_UPLOAD_LIMIT),
        RELIEF_LOG_LEVEL="WARNING",
        # Every test client comes from 127.0.0.1: keep the per-address lock out of their way
        # (the per-account lock is what tests/auth/test_throttle.py exercises).
        RELIEF_LOGIN_MAX_FAILURES_PER_ADDRESS="10000",
        # Chains run straight from county approval to payout; tests/notices sets the days.
        RELIEF_NOTICE_DAYS="0",
    )
    return env


def postgres_admin_or_skip() -> sa.Engine:
    """The admin engine of the test PostgreSQL; skips the test without one (fails under
    ``CI=true``, where PostgreSQL is required)."""
    admin = _postgres_admin()
    if admin is None:
        message = f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL is required)")
        pytest.skip(message)
    return admin


@contextmanager
def migrated_database(
    kind: str, tmp: Path, admin: sa.Engine | None = None, settings: dict[str, str] | None = None
) -> Iterator[Backend]:
    """A new migrated and seeded database: a SQLite file in ``tmp``, or (``kind`` "postgres")
    a database created through ``admin`` and dropped afterwards; ``settings`` are extra
    ``RELIEF_`` variables of its environment. Benchmarks use it too."""
    name = None
    if kind == "sqlite":
        path = tmp / "relief.db"
        async_url, sync_url = f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}"
    else:
        assert admin is not None
        name = f"relief_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        server_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        sync_url = f"{server_url}/{name}"
        async_url = sync_url.replace("+psycopg", "+asyncpg")
    env = {**base_env(tmp, async_url), **(settings or {})}
    engine = sa.create_engine(sync_url)
    try:
        relief_cli(env, "db", "upgrade")
        relief_cli(env, "seed-demo")
        yield Backend(kind, async_url, sync_url, env, engine)
    finally:
        engine.dispose()
        if admin is not None and name is not None:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    tmp = tmp_path_factory.mktemp(request.param)
    admin = postgres_admin_or_skip() if request.param == "postgres" else None
    with migrated_database(request.param, tmp, admin) as migrated:
        yield migrated
    if admin is not None:
        admin.dispose()


@dataclass
class Server:
    url: str
    backend: Backend
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = httpx.post(
                f"{self.url}/api/v1/auth/token",
                data={"username": username, "password": DEMO_PASSWORD},
            )
            response.raise_for_status()
            self.tokens[username] = response.json()["access_token"]
        return self.tokens[username]


# A guard against a server that never starts, not a speed bound: on a busy machine importing
# the service and opening its database take many times the second they take on an idle one.
STARTUP_S = 120
# The same for one answer: the 200-task bulk review takes seconds idle, many more when busy.
ANSWER_S = 120


def start_server(
    env: dict[str, str],
    *,
    workers: int = 1,
    stdout: Path | None = None,
    stderr: Path | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """``relief serve`` on a free port, once it answers its health check; its output goes to
    ``stdout`` and ``stderr`` when given. A port that another process took between choosing
    and binding it (parallel workers) is chosen again."""
    for _attempt in range(3):
        started = _start_server_once(env, workers, stdout, stderr)
        if started is not None:
            return started
    raise RuntimeError("relief serve found its port taken three times")


def _start_server_once(
    env: dict[str, str], workers: int, stdout: Path | None, stderr: Path | None
) -> tuple[subprocess.Popen[bytes], str] | None:
    port = _free_port()
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    with (
        stderr.open("w+b") if stderr else tempfile.TemporaryFile() as errors,
        stdout.open("wb") if stdout else open(os.devnull, "wb") as output,
    ):
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *command],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=errors,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if process.poll() is not None:  # checked first: only our own server's answer counts
                errors.seek(0)
                said = errors.read().decode(errors="replace")
                if "address already in use" in said.lower():
                    return None
                raise RuntimeError(f"relief serve exited during start-up:\n{said[-4000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return process, url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"relief serve did not become healthy in {STARTUP_S} s")


# How long a server keeps a user's row (RELIEF_USER_CACHE_SECONDS, left at its default here).
USER_CACHE_SECONDS = 5.0


def served_until_refused(
    send: Callable[[], httpx.Response], *, changed_at: float
) -> httpx.Response:
    """Send ``send()`` until the answer is not 200 and return that answer; fail if a request
    sent a user cache window after ``changed_at`` (a ``time.monotonic()``) was still served.
    The bound is the service's window, not the machine's speed: only when each request was
    sent counts, not how long its answer took on a busy machine."""
    while True:
        sent_at = time.monotonic()
        response = send()
        if response.status_code != 200:
            return response
        assert sent_at - changed_at < USER_CACHE_SECONDS, "served after the user cache window"
        time.sleep(0.2)


@pytest.fixture(scope="session")
def server(backend: Backend) -> Iterator[Server]:
    process, url = start_server(backend.env)
    yield Server(url, backend)
    process.terminate()
    process.wait(timeout=10)


class Api:
    """An HTTP client of the running server that acts as one demo user at a time."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.client = httpx.Client(base_url=f"{server.url}/api/v1", timeout=ANSWER_S)

    def headers(self, username: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.server.token(username)}"} if username else {}

    def get(self, path: str, *, as_: str | None, **kwargs: object) -> httpx.Response:
        return self.client.get(path, headers=self.headers(as_), **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, *, as_: str | None, **kwargs: object) -> httpx.Response:
        headers = {**self.headers(as_), **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return self.client.post(path, headers=headers, **kwargs)  # type: ignore[arg-type]

    # --- the chain, step by step ------------------------------------------------------

    def submit(self, body: dict[str, object] | None = None, *, as_: str = "cw.lizhuang") -> dict:
        response = self.post("/applications", as_=as_, json=body or application())
        assert response.status_code == 201, response.text
        return response.json()

    def attach(
        self, case_id: int, kind: str, *, as_: str = "cw.lizhuang", content: bytes = PDF
    ) -> httpx.Response:
        return self.post(
            f"/applications/{case_id}/documents",
            as_=as_,
            data={"kind": kind},
            files={"file": (f"{kind}.pdf", content, "application/pdf")},
        )

    def attach_required(
        self, case_id: int, *, as_: str = "cw.lizhuang", spouse: bool = False
    ) -> None:
        for kind in (*EC_DOCUMENTS, *(("spouse_id_card",) if spouse else ())):
            response = self.attach(case_id, kind, as_=as_)
            assert response.status_code == 201, response.text

    def task_for(self, case_id: int, *, as_: str) -> dict:
        response = self.get("/tasks", as_=as_, params={"application_id": case_id})
        assert response.status_code == 200, response.text
        tasks = response.json()
        assert len(tasks) == 1, f"{as_} sees {tasks}"
        return tasks[0]

    def decide(
        self,
        task_id: int,
        decision: str,
        *,
        as_: str,
        comment: str | None = None,
        data: dict | None = None,
    ) -> httpx.Response:
        body = {"decision": decision, "comment": comment, "data": data or {}}
        return self.post(f"/tasks/{task_id}/complete", as_=as_, json=body)

    def act(self, case_id: int, decision: str, *, as_: str, **kwargs: object) -> dict:
        task = self.task_for(case_id, as_=as_)
        response = self.decide(task["id"], decision, as_=as_, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        return response.json()

    def case(self, case_id: int, *, as_: str = "au.county") -> dict:
        response = self.get(f"/applications/{case_id}", as_=as_)
        assert response.status_code == 200, response.text
        return response.json()

    def events(self, case_id: int) -> list[dict]:
        response = self.get(
            "/audit/events", as_="au.county", params={"application_id": case_id, "limit": 1000}
        )
        assert response.status_code == 200, response.text
        return response.json()["items"]


@pytest.fixture
def api(server: Server) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.client.close()


VILLAGE_CHAIN = ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county")


@pytest.fixture
def ready_case(api: Api) -> dict:
    """A fresh case in 李庄村 with every required document attached."""
    case = api.submit()
    api.attach_required(case["id"])
    return case


# --- extra users the demo data does not have (two roles, a colleague in the same role) -------


@cache
def _demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD)


MakeUser = Callable[[list[str], str], str]


@pytest.fixture
def make_user(backend: Backend) -> MakeUser:
    """Insert an active user with ``roles`` in ``jurisdiction``; returns the (unique) username."""

    def make(roles: list[str], jurisdiction: str) -> str:
        username = f"t.{roles[0][:8]}.{uuid.uuid4().hex[:10]}"
        with backend.engine.begin() as connection:
            connection.execute(
                User.__table__.insert().values(
                    username=username,
                    full_name="测试用户",
                    password_hash=_demo_password_hash(),
                    roles=roles,
                    jurisdiction=jurisdiction,
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
        return username

    return make
