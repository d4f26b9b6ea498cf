"""Operators scrape /metrics: per-route counts and latencies, chain events, the work waiting
(open and overdue tasks by role, the worker's lag, the outbox, open incidents), no personal
data."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from service.auth.models import LANE_ROLES
from service.clock import set_clock
from tests.conftest import Api, Server, relief_cli
from tests.factories import application
from tests.flows.helpers import OwnServer, own_server

INCIDENT_KINDS = ("timer", "review_timer", "notification")


def _metrics(server: Server) -> str:
    response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _gauge(text: str, name: str, **labels: str) -> float:
    return _samples(text)[(name, frozenset(labels.items()))]


def test_metrics_count_submissions_and_completions_by_route_template(
    api: Api, server: Server
) -> None:
    body = application()
    case_id = api.submit(body)["id"]
    api.act(case_id, "reject", as_="cw.lizhuang")

    text = _metrics(server)
    assert 'relief_applications_submitted_total{program="emergency_consolation"}' in text
    assert 'relief_task_completions_total{decision="reject",role="caseworker"}' in text
    assert 'route="/api/v1/tasks/{task_id}/complete"' in text
    assert f"/tasks/{case_id}" not in text  # templates, not raw paths
    assert body["applicant"]["id_number"] not in text  # type: ignore[index]


def test_open_tasks_by_role_follow_the_cases(api: Api, server: Server) -> None:
    before = _metrics(server)
    assert _gauge(before, "relief_metrics_database_up") == 1
    for role in LANE_ROLES:  # every lane reports, with no task waiting too
        assert _gauge(before, "relief_tasks_open", role=role) >= 0
        assert _gauge(before, "relief_tasks_overdue", role=role) >= 0
    for kind in INCIDENT_KINDS:
        assert _gauge(before, "relief_incidents_open", kind=kind) >= 0

    body = application()
    case_id = api.submit(body)["id"]
    submitted = _metrics(server)
    open_before = _gauge(before, "relief_tasks_open", role="caseworker")
    assert _gauge(submitted, "relief_tasks_open", role="caseworker") == open_before + 1
    village_heads = _gauge(before, "relief_tasks_open", role="village_head")
    assert _gauge(submitted, "relief_tasks_open", role="village_head") == village_heads
    # Deadlines are days away: nothing new is overdue.
    overdue = _gauge(before, "relief_tasks_overdue", role="caseworker")
    assert _gauge(submitted, "relief_tasks_overdue", role="caseworker") == overdue

    api.attach_required(case_id)
    api.act(case_id, "approve", as_="cw.lizhuang")
    moved = _metrics(server)
    assert _gauge(moved, "relief_tasks_open", role="caseworker") == open_before
    assert _gauge(moved, "relief_tasks_open", role="village_head") == village_heads + 1
    assert body["applicant"]["id_number"] not in moved  # type: ignore[index]
    assert body["applicant"]["name"] not in moved  # type: ignore[index]


@pytest.fixture(params=["sqlite", "postgres"])
def clocked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[OwnServer, Path]]:
    """A server of the test's own on a movable clock; a failing timer gives up at once."""
    clock = tmp_path / "clock"
    set_clock(clock, datetime.now(UTC).replace(microsecond=0))
    settings = {"RELIEF_CLOCK_FILE": str(clock), "RELIEF_JOB_MAX_ATTEMPTS": "1"}
    with own_server(request.param, tmp_path, **settings) as server:
        yield server, clock


def test_overdue_tasks_worker_lag_outbox_and_incidents(clocked: tuple[OwnServer, Path]) -> None:
    server, clock = clocked
    api = server.api
    assert api is not None

    def scrape() -> str:
        return _metrics(api.server)

    fresh = scrape()
    for role in LANE_ROLES:  # a new county: every lane reports 0
        assert _gauge(fresh, "relief_tasks_open", role=role) == 0
        assert _gauge(fresh, "relief_tasks_overdue", role=role) == 0
    for kind in INCIDENT_KINDS:
        assert _gauge(fresh, "relief_incidents_open", kind=kind) == 0
    assert _gauge(fresh, "relief_worker_lag_seconds") == 0

    on_time, broken = api.submit(application()), api.submit(application())
    submitted = scrape()
    assert _gauge(submitted, "relief_tasks_open", role="caseworker") == 2
    assert _gauge(submitted, "relief_tasks_overdue", role="caseworker") == 0
    assert _gauge(submitted, "relief_worker_lag_seconds") == 0  # the deadlines are days away
    assert _gauge(submitted, "relief_outbox_pending") > 0  # 受理 messages, not yet sent

    engine = server.backend.engine
    with engine.begin() as connection:
        # A state the engine cannot read: its timer fails and, on the last try, an incident.
        connection.execute(
            sa.text("UPDATE application SET workflow_state = :bad WHERE id = :id"),
            {"bad": b"not a workflow", "id": broken["id"]},
        )
    task = api.task_for(on_time["id"], as_="cw.lizhuang")
    due = datetime.fromisoformat(task["due_at"])
    set_clock(clock, due + timedelta(minutes=5))
    late = scrape()
    assert _gauge(late, "relief_tasks_open", role="caseworker") == 2
    assert _gauge(late, "relief_tasks_overdue", role="caseworker") == 2
    assert _gauge(late, "relief_tasks_overdue", role="village_head") == 0
    # Both timers are due at the deadline and the worker has not run: 5 minutes late.
    assert _gauge(late, "relief_worker_lag_seconds") == 300

    relief_cli(server.backend.env, "worker", "--once")
    worked = scrape()
    assert _gauge(worked, "relief_worker_lag_seconds") == 0
    assert _gauge(worked, "relief_outbox_pending") == 0
    # Fired or given up, the tasks still wait for the caseworker, late.
    assert _gauge(worked, "relief_tasks_overdue", role="caseworker") == 2
    assert _gauge(worked, "relief_incidents_open", kind="timer") == 1
    assert _gauge(worked, "relief_incidents_open", kind="notification") == 0
    assert f'ref_id="{broken["id"]}"' not in worked

    # The caseworker does the late step: it leaves the overdue count.
    api.attach_required(on_time["id"])
    api.act(on_time["id"], "approve", as_="cw.lizhuang")
    done = scrape()
    assert _gauge(done, "relief_tasks_overdue", role="caseworker") == 1
    assert _gauge(done, "relief_tasks_open", role="village_head") == 1
    assert _gauge(done, "relief_tasks_overdue", role="village_head") == 0


def test_a_scrape_answers_without_the_database_gauges_when_a_query_fails(
    clocked: tuple[OwnServer, Path],
) -> None:
    server, _clock = clocked
    api = server.api
    assert api is not None
    with server.backend.engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE incident RENAME TO incident_away"))
    try:
        text = _metrics(api.server)
    finally:
        with server.backend.engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE incident_away RENAME TO incident"))
    assert _gauge(text, "relief_metrics_database_up") == 0
    assert "relief_tasks_open{" not in text  # left out, not stale
    assert math.isnan(_gauge(text, "relief_worker_lag_seconds"))
    assert "relief_http_requests_total" in text  # the process's own metrics still answer
    assert _gauge(_metrics(api.server), "relief_metrics_database_up") == 1
