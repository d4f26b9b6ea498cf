"""Logging in cannot be turned against the users or the server (issue 18, part 4).

A second server runs on the session's database with the real login limits (the shared test
server lifts the per-address and per-minute ones out of other tests' way), one password-check
slot that never waits, and its clock pinned for each test: a slowdown or a lock then lasts
the whole test however slow the machine, and nothing here is timed, only counted. Every
address is an ``X-Forwarded-For`` through the trusted proxy 127.0.0.1, as behind nginx.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from harness import ANSWER_S, DEMO_PASSWORD, Backend, Server, migrated_database, relief_cli, serving
from service.cli import connection_limits
from service.clock import set_clock
from service.config import Settings
from tests.conftest import Api, MakeUser, assert_problem, postgres_admin_or_skip

PER_MINUTE = 5
PER_ADDRESS = 8
SLOW_AFTER = 10  # the default


@pytest.fixture(scope="module")
def limits_clock(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("limits") / "clock"


@pytest.fixture(scope="module")
def limited(backend: Backend, limits_clock: Path) -> Iterator[Server]:
    set_clock(limits_clock, datetime.now(UTC))
    settings = {
        "RELIEF_CLOCK_FILE": str(limits_clock),
        "RELIEF_LOGIN_MAX_PER_MINUTE": str(PER_MINUTE),
        "RELIEF_LOGIN_MAX_FAILURES_PER_ADDRESS": str(PER_ADDRESS),
        "RELIEF_PASSWORD_VERIFY_CONCURRENCY": "1",
        "RELIEF_PASSWORD_VERIFY_WAIT_SECONDS": "0",
    }
    with serving(dataclasses.replace(backend, env={**backend.env, **settings})) as served:
        yield served


@pytest.fixture
def client(limited: Server, limits_clock: Path) -> Iterator[httpx.Client]:
    set_clock(limits_clock, datetime.now(UTC))  # pinned: windows and pauses do not run out
    with httpx.Client(base_url=f"{limited.url}/api/v1", timeout=ANSWER_S) as http:
        yield http


def _address() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


def _login(client: httpx.Client, username: str, password: str, address: str) -> httpx.Response:
    return client.post(
        "/auth/token",
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )


def _guess(client: httpx.Client, username: str, address: str, times: int) -> None:
    for _ in range(times):
        assert_problem(_login(client, username, "guess-" + uuid.uuid4().hex, address), 401)


def _refusal(response: httpx.Response, status: int = 429) -> str:
    body = assert_problem(response, status)
    assert int(response.headers["Retry-After"]) == body["params"]["retry_after"] >= 1
    return str(body["code"])


def _trail(api: Api, username: str) -> list[dict[str, Any]]:
    response = api.get("/audit/events", as_="au.county", params={"actor": username, "limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_guessers_are_locked_and_slowed_while_the_owner_at_their_usual_address_logs_in(
    client: httpx.Client, api: Api, make_user: MakeUser
) -> None:
    """Five wrong passwords used to lock the account itself for everyone: now they lock only
    the address they came from, and many more from other addresses only slow the account
    down for addresses it has not logged in from. Each lock and the slowdown are audited."""
    owner = make_user(["caseworker"], "130123100201")
    home, first, second, elsewhere = (_address() for _ in range(4))
    assert _login(client, owner, DEMO_PASSWORD, home).status_code == 200

    _guess(client, owner, first, 5)
    assert _refusal(_login(client, owner, DEMO_PASSWORD, first)) == "login-throttled"
    _guess(client, owner, second, SLOW_AFTER - 5)
    assert _refusal(_login(client, owner, DEMO_PASSWORD, second)) == "login-throttled"
    slowed = _login(client, owner, DEMO_PASSWORD, elsewhere)
    assert _refusal(slowed) == "login-slowed"
    assert int(slowed.headers["Retry-After"]) <= 60

    assert _login(client, owner, DEMO_PASSWORD, home).status_code == 200

    events = _trail(api, owner)
    actions = [event["action"] for event in events]
    assert actions.count("login_failed") == SLOW_AFTER  # refused attempts are not written
    assert actions.count("login_locked") == 2
    assert actions.count("login_slowed") == 1
    locks = {event["comment"] for event in events if event["action"] == "login_locked"}
    assert locks == {f"from {first}", f"from {second}"}


def test_counts_are_shared_by_every_server_on_the_database(
    client: httpx.Client, api: Api, make_user: MakeUser
) -> None:
    """Two servers (replicas) on one database count the same failures: guesses spread over
    them lock the address as guesses on one would."""
    username, address = make_user(["caseworker"], "130123100201"), _address()
    _guess(client, username, address, 3)
    for _ in range(2):
        response = api.client.post(
            "/auth/token",
            data={"username": username, "password": "guess-" + uuid.uuid4().hex},
            headers={"X-Forwarded-For": address},
        )
        assert_problem(response, 401)
    assert _refusal(_login(client, username, DEMO_PASSWORD, address)) == "login-throttled"
    on_the_other = api.client.post(
        "/auth/token",
        data={"username": username, "password": DEMO_PASSWORD},
        headers={"X-Forwarded-For": address},
    )
    assert _refusal(on_the_other) == "login-throttled"


def test_logins_from_one_address_are_limited_per_minute_even_when_they_succeed(
    client: httpx.Client, make_user: MakeUser
) -> None:
    """Each login costs an argon2 verification: valid credentials cannot be replayed to burn
    the server's cores (one account, one address; another address is not held back)."""
    username, address = make_user(["caseworker"], "130123100201"), _address()
    for _ in range(PER_MINUTE):
        assert _login(client, username, DEMO_PASSWORD, address).status_code == 200
    limited = _login(client, username, DEMO_PASSWORD, address)
    assert _refusal(limited) == "login-rate-limited"
    assert int(limited.headers["Retry-After"]) <= 60
    assert _login(client, username, DEMO_PASSWORD, _address()).status_code == 200


def test_guessing_many_usernames_from_one_address_locks_that_address(
    client: httpx.Client, api: Api, make_user: MakeUser
) -> None:
    """Password spraying: one address trying a password on many accounts is locked out,
    whichever account it tries next; the accounts themselves log in from elsewhere."""
    sprayer = _address()
    tried = [make_user(["caseworker"], "130123100201") for _ in range(PER_ADDRESS)]
    for username in tried:
        _guess(client, username, sprayer, 1)
    victim = make_user(["caseworker"], "130123100201")
    refused = _login(client, victim, DEMO_PASSWORD, sprayer)
    assert _refusal(refused) == "login-address-throttled"
    assert _login(client, victim, DEMO_PASSWORD, _address()).status_code == 200
    actions = [event["action"] for event in _trail(api, tried[-1])]
    assert actions.count("login_address_locked") == 1


def test_password_checks_beyond_the_slots_get_503_with_retry_after(
    client: httpx.Client, make_user: MakeUser
) -> None:
    """With one password-check slot that does not wait, concurrent logins (each a valid
    account from its own address) are each either checked or refused with 503 and
    Retry-After: never more at once than the slots, never a 500. Counted, not timed."""
    users = [make_user(["caseworker"], "130123100201") for _ in range(12)]
    statuses: list[int] = []
    for _burst in range(3):  # one burst shows it; three make a quiet machine no excuse
        answers = _at_once(client, users)
        assert all(r.status_code in (200, 503) for r in answers), [r.text for r in answers]
        for busy in (r for r in answers if r.status_code == 503):
            assert _refusal(busy, 503) == "password-checks-busy"
        statuses += [r.status_code for r in answers]
        if 503 in statuses:
            break
    assert 200 in statuses
    assert 503 in statuses


def _at_once(client: httpx.Client, users: list[str]) -> list[httpx.Response]:
    start = threading.Barrier(len(users))
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def log_in(username: str) -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=ANSWER_S) as own:
            start.wait()
            response = _login(own, username, DEMO_PASSWORD, _address())
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=log_in, args=(username,)) for username in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == len(users)
    return answers


# --- the edge: connections, request heads, forwarded addresses --------------------------------


@pytest.fixture(scope="module")
def edge(backend: Backend) -> Iterator[Server]:
    """A server whose connection limits are small and whose one trusted proxy is not the
    test's 127.0.0.1: its X-Forwarded-For headers come from an untrusted hop."""
    settings = {
        "RELIEF_MAX_CONCURRENCY": "6",
        "RELIEF_MAX_HEADER_BYTES": "4096",
        "RELIEF_FORWARDED_ALLOW_IPS": "10.9.9.9",
    }
    with serving(dataclasses.replace(backend, env={**backend.env, **settings})) as served:
        yield served


def _host_port(server: Server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def test_a_request_head_growing_past_the_limit_is_refused_before_it_ends(edge: Server) -> None:
    """A head of RELIEF_MAX_HEADER_BYTES or less is read; one that grows past it is refused
    (400) as soon as it does, without waiting for its end (a slow client sending headers
    forever is the reverse proxy's to cut off, docs/operations.md)."""
    fine = httpx.get(f"{edge.url}/healthz", headers={"X-Filler": "a" * 1000}, timeout=ANSWER_S)
    assert fine.status_code == 200
    with socket.create_connection(_host_port(edge), timeout=ANSWER_S) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: relief\r\nX-Filler: " + b"a" * 6000)
        answer = connection.recv(200)  # no blank line yet: the head has not ended
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_connections_beyond_the_limit_get_503(edge: Server) -> None:
    """Idle connections count: a process holds at most RELIEF_MAX_CONCURRENCY at once."""
    idle = [socket.create_connection(_host_port(edge), timeout=ANSWER_S) for _ in range(6)]
    try:
        with httpx.Client(timeout=ANSWER_S) as fresh:
            assert fresh.get(f"{edge.url}/healthz").status_code == 503
    finally:
        for connection in idle:
            connection.close()
    statuses = []
    for _ in range(100):  # the server notices the closed ones on its next turns
        with httpx.Client(timeout=ANSWER_S) as later:
            statuses.append(later.get(f"{edge.url}/healthz").status_code)
        if statuses[-1] == 200:
            break
    assert statuses[-1] == 200, statuses


def test_forwarded_addresses_from_an_untrusted_hop_are_ignored(
    edge: Server, api: Api, make_user: MakeUser
) -> None:
    """X-Forwarded-For from a hop that is not a trusted proxy does not choose the address:
    a new spoofed address per guess still counts against the connection's own address."""
    username = make_user(["caseworker"], "130123100201")
    with httpx.Client(base_url=f"{edge.url}/api/v1", timeout=ANSWER_S) as client:
        _guess(client, username, "203.0.113.1", 2)
        _guess(client, username, "203.0.113.2", 3)
        spoofed = _login(client, username, DEMO_PASSWORD, "203.0.113.3")
        assert _refusal(spoofed) == "login-throttled"
    events = _trail(api, username)
    locks = [event["comment"] for event in events if event["action"] == "login_locked"]
    assert locks == ["from 127.0.0.1"]


def test_serve_applies_the_connection_settings() -> None:
    """What the tests above cannot count: the keep-alive timeout reaches uvicorn too."""
    settings = Settings(
        secret_key="x" * 40,
        keep_alive_seconds=3,
        max_concurrency=77,
        max_header_bytes=8192,
        forwarded_allow_ips="10.0.0.1",
    )
    config = uvicorn.Config("service.main:app", **connection_limits(settings))
    assert config.timeout_keep_alive == 3
    assert config.limit_concurrency == 77
    assert config.h11_max_incomplete_event_size == 8192
    assert config.forwarded_allow_ips == "10.0.0.1"


# --- attempts expire ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_failed_logins_expire_and_the_worker_deletes_them(kind: str, tmp_path: Path) -> None:
    """The limits keep nothing in a process's memory, and their rows do not outlive the
    window: a flood of failures with new usernames is deleted by the worker once it has left
    the window (successes stay for the usual-address days), and locks nothing any more."""
    clock = tmp_path / "clock"
    set_clock(clock, datetime.now(UTC))
    admin = postgres_admin_or_skip() if kind == "postgres" else None
    with (
        migrated_database(kind, tmp_path, admin, {"RELIEF_CLOCK_FILE": str(clock)}) as backend,
        serving(backend) as server,
        httpx.Client(base_url=f"{server.url}/api/v1", timeout=ANSWER_S) as client,
    ):
        address = _address()
        flood = [f"nobody.{uuid.uuid4().hex[:12]}" for _ in range(12)]
        for username in flood:
            _guess(client, username, address, 1)
        _guess(client, "cw.lizhuang", address, 5)
        assert _login(client, "vh.lizhuang", DEMO_PASSWORD, address).status_code == 200

        def rows(succeeded: bool) -> int:
            query = "SELECT count(*) FROM login_attempt WHERE succeeded = :s"
            with backend.engine.connect() as connection:
                return int(connection.execute(sa.text(query), {"s": succeeded}).scalar_one())

        assert rows(False) == len(flood) + 5
        set_clock(clock, datetime.now(UTC) + timedelta(minutes=16))
        done = relief_cli(backend.env, "worker", "--once").stdout
        assert f"logins={len(flood) + 5}" in done
        assert rows(False) == 0
        assert rows(True) == 1
        assert _login(client, "cw.lizhuang", DEMO_PASSWORD, address).status_code == 200
    if admin is not None:
        admin.dispose()
