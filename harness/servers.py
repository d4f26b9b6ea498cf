"""A fresh database and ``relief serve`` on it, as the tests and the benchmarks start them.

Nothing here imports the service: a database is migrated and seeded with the ``relief``
command, and a server is ``relief serve`` in a subprocess, as an operator would run them.
``tests/conftest.py`` wraps these in fixtures; ``bench/`` calls them directly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "relief-demo"
TEST_UPLOAD_LIMIT = 256 * 1024
POSTGRES_ADMIN_URL = os.environ.get(
    "RELIEF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# A guard against a server that never starts, not a speed bound: on a busy machine importing
# the service and opening its database take many times the second they take on an idle one.
STARTUP_S = 120
# The same for one answer: the 200-task bulk review takes seconds idle, many more when busy.
ANSWER_S = 120


@dataclass
class Backend:
    """A migrated and seeded database: ``name`` ("sqlite" or "postgres"), the service's
    ``async_url``, a ``sync_url``, ``env`` (the RELIEF_ settings of a server or command on
    it) and a synchronous ``engine``."""

    name: str
    async_url: str
    sync_url: str
    env: dict[str, str]
    engine: sa.Engine = field(repr=False)


def free_port() -> int:
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


def postgres_admin() -> sa.Engine | None:
    """An AUTOCOMMIT engine on the test PostgreSQL (``RELIEF_TEST_POSTGRES_URL``), or None
    when it does not answer."""
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            return engine
    except sa.exc.OperationalError:
        engine.dispose()
        return None


def base_env(tmp: Path, database_url: str) -> dict[str, str]:
    """The environment of a test server or command: this process's, without its RELIEF_
    variables, plus settings that keep a test's files and messages under ``tmp``."""
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
        # Nor the logins-a-minute limit: console tests log the same demo users in again and
        # again (tests/auth/test_login_limits.py runs servers with the real limits).
        RELIEF_LOGIN_MAX_PER_MINUTE="10000",
        # Chains run straight from county approval to payout; tests/notices sets the days.
        RELIEF_NOTICE_DAYS="0",
    )
    return env


@contextmanager
def migrated_database(
    kind: str, tmp: Path, admin: sa.Engine | None = None, settings: dict[str, str] | None = None
) -> Iterator[Backend]:
    """A new migrated and seeded database: a SQLite file in ``tmp``, or (``kind`` "postgres")
    a database created through ``admin`` and dropped afterwards; ``settings`` are extra
    ``RELIEF_`` variables of its environment."""
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


@dataclass
class Server:
    """A running ``relief serve``: its base URL, its database, and the demo users' tokens."""

    url: str
    backend: Backend
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = httpx.post(
                f"{self.url}/api/v1/auth/token",
                data={"username": username, "password": DEMO_PASSWORD},
                timeout=ANSWER_S,
            )
            response.raise_for_status()
            self.tokens[username] = response.json()["access_token"]
        return self.tokens[username]


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
    port = free_port()
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


def stop_server(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Ask a server to stop (SIGTERM) and wait for it; kill it if it does not."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextmanager
def serving(backend: Backend, *, workers: int = 1) -> Iterator[Server]:
    """``relief serve --workers N`` on ``backend`` for the duration of the block."""
    process, url = start_server(backend.env, workers=workers)
    try:
        yield Server(url, backend)
    finally:
        stop_server(process)
