"""Deadlines on a moved clock (issue 6): a task left alone becomes overdue and escalates at
the right moment, once, however many workers run; a timer that keeps failing becomes an
incident an admin can retry. Real server, real `relief worker` processes, both databases.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.clock import set_clock
from service.deadlines.calendar import due_after
from tests.conftest import ROOT, Api, assert_problem, relief_cli
from tests.factories import application
from tests.flows.helpers import OwnServer, own_server
from tests.programs.test_special_assistance import enrol

COUNTY = "130123"
LIZHUANG_TOWNSHIP = "130123100"


@pytest.fixture(params=["sqlite", "postgres"])
def clocked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[OwnServer, Path]]:
    """A server of the test's own whose processes all read the clock from one file."""
    clock = tmp_path / "clock"
    set_clock(clock, datetime.now(UTC).replace(microsecond=0))
    settings = {
        "RELIEF_CLOCK_FILE": str(clock),
        "RELIEF_JOB_MAX_ATTEMPTS": "2",
        "RELIEF_JOB_BACKOFF_SECONDS": "60",
    }
    with own_server(request.param, tmp_path, **settings) as server:
        yield server, clock


def _now(clock: Path) -> datetime:
    return datetime.fromisoformat(clock.read_text())


def _counts(output: str) -> dict[str, int]:
    """The round's summary, the last line the worker prints (logs come before it)."""
    last = output.strip().splitlines()[-1]
    return {name: int(count) for name, count in (part.split("=") for part in last.split())}


def _worker(server: OwnServer) -> dict[str, int]:
    return _counts(relief_cli(server.backend.env, "worker", "--once").stdout)


def _inbox(api: Api, user: str, **params: object) -> list[dict]:
    response = api.get("/tasks", as_=user, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _escalations(api: Api, case_id: int) -> list[dict]:
    return [event for event in api.events(case_id) if event["action"] == "task_escalated"]


def test_a_task_left_alone_escalates_once_at_its_deadline(
    clocked: tuple[OwnServer, Path],
) -> None:
    server, clock = clocked
    api = server.api
    assert api is not None
    submitted_at = _now(clock)
    case = api.submit(application())
    [task] = _inbox(api, "cw.lizhuang", application_id=case["id"])
    # Village investigation: 5 working days on the county's calendar (programs.yaml).
    due = due_after(submitted_at, 5, county=COUNTY)
    assert datetime.fromisoformat(task["due_at"]) == due
    assert task["escalated_at"] is None

    set_clock(clock, due - timedelta(minutes=1))
    assert _worker(server)["timers"] == 0
    assert _inbox(api, "cw.lizhuang", overdue="true", application_id=case["id"]) == []

    set_clock(clock, due + timedelta(minutes=1))
    assert _worker(server)["timers"] == 1
    [late] = _inbox(api, "cw.lizhuang", overdue="true", application_id=case["id"])
    assert late["id"] == task["id"]
    assert datetime.fromisoformat(late["escalated_at"]) == due + timedelta(minutes=1)
    [event] = _escalations(api, case["id"])
    assert event["actor"] == "worker"
    assert event["task_id"] == task["id"]
    assert event["after"]["step"] == "village_investigation"

    # The county sees it in supervision, per township and per person (unclaimed: the role).
    report = api.get("/supervision/overdue", as_="ca.county").json()
    assert report["total"] == 1
    assert report["by_township"] == [
        {"township": LIZHUANG_TOWNSHIP, "name": report["by_township"][0]["name"], "overdue": 1}
    ]
    assert report["by_person"] == [{"role": "caseworker", "user": None, "overdue": 1}]
    assert [t["id"] for t in report["tasks"]] == [task["id"]]
    assert_problem(api.get("/supervision/overdue", as_="cw.lizhuang"), 403)

    # Another round, or another worker: nothing fires twice.
    assert _worker(server)["timers"] == 0
    assert len(_escalations(api, case["id"])) == 1

    # The case goes on: the overdue step is done late and the next one gets its own deadline.
    api.attach_required(case["id"])
    api.act(case["id"], "approve", as_="cw.lizhuang")
    [cosign] = _inbox(api, "vh.lizhuang", application_id=case["id"])
    village_cosign_due = due_after(_now(clock), 3, county=COUNTY)
    assert datetime.fromisoformat(cosign["due_at"]) == village_cosign_due
    assert cosign["escalated_at"] is None
    assert api.get("/supervision/overdue", as_="ca.county").json()["total"] == 0


def test_two_workers_fire_each_due_timer_exactly_once(clocked: tuple[OwnServer, Path]) -> None:
    server, clock = clocked
    api = server.api
    assert api is not None
    cases = [api.submit(application())["id"] for _ in range(24)]
    set_clock(clock, _now(clock) + timedelta(days=30))
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker", "--once"],
            cwd=ROOT,
            env=server.backend.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    fired = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        fired.append(_counts(out)["timers"])
    assert sum(fired) == len(cases)
    with server.backend.engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT task_id, count(*) FROM audit_event WHERE action = 'task_escalated'"
                " GROUP BY task_id"
            )
        ).all()
    assert len(rows) == len(cases)
    assert {count for _task, count in rows} == {1}


def test_a_failing_timer_backs_off_then_becomes_an_incident_an_admin_retries(
    clocked: tuple[OwnServer, Path],
) -> None:
    server, clock = clocked
    api = server.api
    assert api is not None
    case_id = api.submit(application())["id"]
    engine = server.backend.engine
    with engine.begin() as connection:
        state = connection.execute(
            sa.text("SELECT workflow_state FROM application WHERE id = :id"), {"id": case_id}
        ).scalar_one()
        # A state the engine cannot read: every firing fails and rolls back.
        connection.execute(
            sa.text("UPDATE application SET workflow_state = :bad WHERE id = :id"),
            {"bad": b"not a workflow", "id": case_id},
        )
    set_clock(clock, _now(clock) + timedelta(days=30))
    assert _worker(server)["timers"] == 0  # try 1 failed; the next waits 60 s
    assert _worker(server)["timers"] == 0  # not yet due again
    assert api.get("/incidents", as_="admin").json() == []
    set_clock(clock, _now(clock) + timedelta(seconds=61))
    assert _worker(server)["timers"] == 0  # try 2 failed: the last one
    [incident] = api.get("/incidents", as_="admin").json()
    assert (incident["kind"], incident["ref_id"], incident["attempts"]) == ("timer", case_id, 2)
    assert incident["status"] == "open"
    assert_problem(api.get("/incidents", as_="au.county"), 403)
    assert _escalations(api, case_id) == []

    with engine.begin() as connection:  # someone mends the cause
        connection.execute(
            sa.text("UPDATE application SET workflow_state = :state WHERE id = :id"),
            {"state": state, "id": case_id},
        )
    retried = api.post(f"/incidents/{incident['id']}/retry", as_="admin")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "retried"
    assert_problem(api.post(f"/incidents/{incident['id']}/retry", as_="admin"), 409)
    assert _worker(server)["timers"] == 1
    assert len(_escalations(api, case_id)) == 1


def test_a_yearly_review_step_escalates_too(clocked: tuple[OwnServer, Path]) -> None:
    server, clock = clocked
    api = server.api
    assert api is not None
    case_id = enrol(api)["id"]
    year = _now(clock).year
    started = api.post("/reviews/yearly", as_="ca.county", json={"year": year})
    assert started.status_code == 200, started.text
    [review_task] = _inbox(api, "cw.lizhuang", application_id=case_id)
    assert review_task["spec"] == "annual_review"
    # 年审: 10 working days (programs.yaml), counted from when the review opened.
    due = datetime.fromisoformat(review_task["due_at"])
    assert due == due_after(_now(clock), 10, county=COUNTY)

    set_clock(clock, due + timedelta(seconds=1))
    assert _worker(server)["timers"] == 1
    [escalated] = _escalations(api, case_id)
    assert escalated["task_id"] == review_task["id"]
    assert escalated["after"]["step"] == "annual_review"
    assert _worker(server)["timers"] == 0
    # The review goes on: the caseworker still confirms the year.
    [still] = _inbox(api, "cw.lizhuang", application_id=case_id, overdue="true")
    assert still["escalated_at"] is not None
