"""Test fixtures: a real server over real HTTP, on SQLite and on PostgreSQL.

Every test that takes ``api`` (or ``server``) runs once per database. Each database is fresh
for the session: migrated with ``relief db upgrade`` and seeded with the demo data, then served
by ``relief serve`` in a subprocess. Tests create their own cases with random households, so
they do not depend on each other.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

# Some only re-exported: tests import them from here, as before harness/ held them.
from harness import (  # noqa: F401
    ANSWER_S,
    DEMO_PASSWORD,
    POSTGRES_ADMIN_URL,
    ROOT,
    STARTUP_S,
    TEST_UPLOAD_LIMIT,
    Backend,
    Server,
    base_env,
    free_port,
    migrated_database,
    postgres_admin,
    relief_cli,
    serving,
    start_server,
)
from service.auth.models import User
from service.auth.passwords import hash_password
from tests.factories import EC_DOCUMENTS, PDF, application

_free_port = free_port
_postgres_admin = postgres_admin


PROBLEM = "urn:relief:problem:"
# A reject or return needs a reason the applicant can read.
REASON_NEEDED = ("reject", "return")
REASON = "材料不全，请补充后再报"


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
    assert isinstance(body["code"], str), body  # docs/problems.md lists them
    assert body["code"], body
    assert isinstance(body["params"], dict), body
    if slug is not None:
        assert body["type"] == PROBLEM + slug, body
    return body


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


BROWSER_TESTS = Path(__file__).resolve().parent / "web" / "browser"

# The tests marked ``slow``, by module (None: every test of it): each took 15 s to over 100 s on
# SQLite (pytest --durations, two xdist workers on the 2-core machine under other load), most of
# it migrating and serving a database of their own, driving worker processes, or crashing them.
# A test may also mark itself (``pytestmark = pytest.mark.slow``).
SLOW: dict[str, frozenset[str] | None] = {
    "tests/attack/test_schema_fuzz.py": None,  # every operation fuzzed against its schema
    "tests/audit/test_anchors.py": None,  # a server per test; twenty concurrent writers
    "tests/deadlines/test_escalation.py": None,  # a clocked server and workers per test
    "tests/flows/test_cli.py": None,  # a database per test, the relief command run on it
    # A server with an SMS gateway of their own (one per xdist worker); the outbox's tests drive
    # gateway failures, backoff and two workers.
    "tests/notifications/test_events.py": None,
    "tests/notifications/test_outbox.py": None,
    "tests/notifications/test_router.py": None,
    "tests/ops/test_crash.py": None,  # kill -9 under load, then restart
    "tests/ops/test_backup.py": None,  # an installation backed up, restored into new databases
    "tests/attack/test_headers.py": frozenset(  # a server of their own, with CORS configured
        {
            "test_a_configured_origin_gets_its_preflight_answered",
            "test_another_origin_gets_no_grant",
            "test_a_configured_origin_may_read_answers_and_their_retry_headers",
        }
    ),
    "tests/flows/test_hostile.py": frozenset({"test_flow_files_are_limited_to_max_flow_bytes"}),
    # A clocked database and server of its own, and the worker run on it.
    "tests/auth/test_login_limits.py": frozenset(
        {"test_failed_logins_expire_and_the_worker_deletes_them"}
    ),
    # The relief command in a process of its own per case (argon2 hashes included).
    "tests/auth/test_passwords.py": frozenset(
        {
            "test_add_refuses_an_unknown_role_or_region",
            "test_a_user_added_with_the_cli_logs_in_once_a_password_is_set",
        }
    ),
    # A private chain on a server of its own.
    "tests/audit/test_chain.py": frozenset({"test_untouched_private_chain_verifies"}),
    # Every route against every role and region (hundreds of requests each).
    "tests/attack/test_bola.py": frozenset(
        {"test_id_routes_hide_objects_from_other_villages_townships_and_counties"}
    ),
    "tests/attack/test_role_matrix.py": frozenset(
        {
            "test_each_role_gate_lets_through_exactly_the_documented_roles",
            "test_only_the_lane_role_may_claim_release_or_complete_a_task",
        }
    ),
    "tests/ops/test_database_loss.py": frozenset(
        {"test_no_database_server_at_all_gives_503_not_500"}
    ),
    "tests/flows/test_versions.py": frozenset(
        {
            "test_running_cases_finish_on_the_version_they_started_with",
            "test_activating_a_review_flow_rebinds_the_yearly_review",
            "test_a_modeler_flow_is_activated_and_a_case_runs_through_it",
        }
    ),
    "tests/idempotency/test_idempotency.py": frozenset(
        {"test_records_are_kept_for_the_retention_and_then_pruned_by_the_worker"}
    ),
    "tests/ops/test_doctor.py": frozenset({"test_doctor_names_each_damaged_case_and_exits_1"}),
    "tests/tasks/test_bulk.py": frozenset({"test_a_bulk_review_of_200_tasks_reports_each_item"}),
    "tests/test_cli.py": frozenset({"test_upgrade_and_demo_seed_are_idempotent"}),
    "tests/test_config.py": frozenset(
        {
            "test_plain_database_urls_migrate_seed_and_serve",
            "test_serve_starts_in_production_with_a_strong_secret",
        }
    ),
    "tests/test_logs.py": frozenset({"test_two_worker_processes_on_one_stderr_write_whole_lines"}),
    "tests/test_metrics.py": frozenset(
        {
            "test_overdue_tasks_worker_lag_outbox_and_incidents",
            "test_a_scrape_answers_without_the_database_gauges_when_a_query_fails",
        }
    ),
    "tests/web/test_audit_flows_pages.py": frozenset(
        {"test_activating_a_version_makes_new_cases_start_on_it"}
    ),
    "tests/web/test_session_pages.py": frozenset({"test_the_cookie_lives_as_long_as_configured"}),
}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by these markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``browser`` on the journeys under tests/web/browser; ``postgres`` on every test
    parametrised on PostgreSQL (the ``backend`` fixture, or a ``kind`` of its own); ``slow``
    on the tests of ``SLOW``, whose names must exist (a renamed test would quietly leave it)."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and any(
            isinstance(value, str) and value == "postgres" for value in callspec.params.values()
        ):
            item.add_marker(pytest.mark.postgres)
        module = item.path.relative_to(ROOT).as_posix()
        if module not in SLOW:
            continue
        names = SLOW[module]
        if names is not None:
            unknown = sorted(name for name in names if not hasattr(item.module, name))
            if unknown:
                raise pytest.UsageError(f"SLOW in tests/conftest.py: no {unknown} in {module}")
        if names is None or getattr(item, "originalname", None) in names:
            item.add_marker(pytest.mark.slow)


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
    with serving(backend) as served:
        yield served


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

    def patch(self, path: str, *, as_: str | None, **kwargs: object) -> httpx.Response:
        return self.client.patch(path, headers=self.headers(as_), **kwargs)  # type: ignore[arg-type]

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
        if comment is None and decision in REASON_NEEDED:
            comment = REASON  # as a person must give one (tests of its absence post directly)
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
