"""Every human task has a deadline (issue 21 §1): a task the flow put no boundary timer on is
due after its step's catalogue time limit, or the catalogue's ``default`` when its step has
none, on the county's working-day calendar; once that passes the worker escalates it like a
timer-escalated task, once. Real server, real `relief worker`, moved clock, both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.clock import set_clock
from service.deadlines.calendar import due_after
from tests.conftest import Api, relief_cli
from tests.factories import application
from tests.flows.helpers import SHIPPED, OwnServer, activate, own_server, upload
from tests.flows.test_version_deletion import without_timer

COUNTY = "130123"


@pytest.fixture(params=["sqlite", "postgres"])
def clocked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[OwnServer, Path]]:
    clock = tmp_path / "clock"
    set_clock(clock, datetime.now(UTC).replace(microsecond=0))
    with own_server(request.param, tmp_path, RELIEF_CLOCK_FILE=str(clock)) as server:
        yield server, clock


def _now(clock: Path) -> datetime:
    return datetime.fromisoformat(clock.read_text())


def _worker(server: OwnServer) -> dict[str, int]:
    last = relief_cli(server.backend.env, "worker", "--once").stdout.strip().splitlines()[-1]
    return {name: int(count) for name, count in (part.split("=") for part in last.split())}


def _activate_new_version(api: Api, text: str, note: str) -> dict:
    uploaded = upload(api, ("emergency_consolation.bpmn", text.encode()), note=note)
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    activated = activate(api, "emergency_consolation", body["version"])
    assert activated.status_code == 200, activated.text
    return dict(body)


def _task(api: Api, case_id: int) -> dict:
    [task] = api.get("/tasks", as_="cw.lizhuang", params={"application_id": case_id}).json()
    return dict(task)


def _escalations(api: Api, case_id: int) -> list[dict]:
    return [event for event in api.events(case_id) if event["action"] == "task_escalated"]


def test_a_task_without_a_timer_is_due_by_the_catalogue_and_escalates_once(
    clocked: tuple[OwnServer, Path],
) -> None:
    server, clock = clocked
    api = server.api
    assert api is not None
    version = _activate_new_version(
        api, without_timer(SHIPPED.read_text(encoding="utf-8")), "村调查 without its timer"
    )
    assert version["default_deadlines"] == ["village_investigation"]

    submitted_at = _now(clock)
    case = api.submit(application())
    task = _task(api, case["id"])
    assert task["spec"] == "village_investigation"
    # Its step's own limit in programs.yaml: 5 working days on the county's calendar.
    due = due_after(submitted_at, 5, county=COUNTY)
    assert datetime.fromisoformat(task["due_at"]) == due
    with server.backend.engine.connect() as connection:
        flag = connection.execute(
            sa.text("SELECT default_deadline FROM task WHERE id = :id"), {"id": task["id"]}
        ).scalar_one()
    assert bool(flag) is True

    set_clock(clock, due - timedelta(minutes=1))
    assert _worker(server)["deadlines"] == 0
    assert _escalations(api, case["id"]) == []

    set_clock(clock, due + timedelta(minutes=1))
    counts = _worker(server)
    assert (counts["timers"], counts["deadlines"]) == (0, 1)  # no timer: the row's deadline
    late = _task(api, case["id"])
    assert datetime.fromisoformat(late["escalated_at"]) == due + timedelta(minutes=1)
    [event] = _escalations(api, case["id"])
    assert (event["actor"], event["task_id"]) == ("worker", task["id"])
    assert event["after"]["step"] == "village_investigation"
    assert event["after"]["deadline"] == "catalogue default"
    assert datetime.fromisoformat(event["after"]["due_at"]) == due
    report = api.get("/supervision/overdue", as_="ca.county").json()
    assert [t["id"] for t in report["tasks"]] == [task["id"]]

    # Another round, or another worker: escalated once.
    assert _worker(server)["deadlines"] == 0
    assert len(_escalations(api, case["id"])) == 1

    # The case goes on; the next step has its flow's own timer again, and nothing more is
    # escalated from rows (a timed task is the timers' to escalate).
    api.attach_required(case["id"])
    api.act(case["id"], "approve", as_="cw.lizhuang")
    [cosign] = api.get("/tasks", as_="vh.lizhuang", params={"application_id": case["id"]}).json()
    assert datetime.fromisoformat(cosign["due_at"]) == due_after(_now(clock), 3, county=COUNTY)
    set_clock(clock, datetime.fromisoformat(cosign["due_at"]) + timedelta(seconds=1))
    counts = _worker(server)
    assert (counts["timers"], counts["deadlines"]) == (1, 0)
    assert len(_escalations(api, case["id"])) == 2


def test_a_step_the_catalogue_does_not_list_takes_its_default(
    clocked: tuple[OwnServer, Path],
) -> None:
    server, clock = clocked
    api = server.api
    assert api is not None
    # The first step under an id programs.yaml gives no limit of its own (村核查).
    text = without_timer(SHIPPED.read_text(encoding="utf-8"))
    text = text.replace("village_investigation", "village_check")
    version = _activate_new_version(api, text, "a step the catalogue does not list")
    assert version["default_deadlines"] == ["village_check"]
    submitted_at = _now(clock)
    case = api.submit(application())
    task = _task(api, case["id"])
    assert task["spec"] == "village_check"
    # The catalogue's default: 10 working days.
    assert datetime.fromisoformat(task["due_at"]) == due_after(submitted_at, 10, county=COUNTY)


def _undate(server: OwnServer, task_id: int) -> None:
    """The row as a task opened before migration d9e0f1a2b3c4 left it: no due date, and
    not marked as the catalogue's."""
    with server.backend.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE task SET due_at = NULL, default_deadline = :no WHERE id = :id"),
            {"id": task_id, "no": False},
        )


def _row(server: OwnServer, task_id: int) -> tuple[datetime | None, bool]:
    with server.backend.engine.connect() as connection:
        due, flag = connection.execute(
            sa.text("SELECT due_at, default_deadline FROM task WHERE id = :id"), {"id": task_id}
        ).one()
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    return (due.replace(tzinfo=UTC) if due and due.tzinfo is None else due), bool(flag)


def test_an_open_task_from_before_every_task_had_a_deadline_is_dated_by_the_worker(
    clocked: tuple[OwnServer, Path],
) -> None:
    """A task without a due date would never be escalated. The worker dates it once: by its
    own timer when the flow put one on it, else by the catalogue counted from when it opened
    (not from when the worker saw it), and escalates it like any other once that passed."""
    server, clock = clocked
    api = server.api
    assert api is not None
    opened_at = _now(clock)
    timed_case = api.submit(application())  # the shipped flow: 村调查 has its own timer
    timed = _task(api, timed_case["id"])
    _activate_new_version(
        api, without_timer(SHIPPED.read_text(encoding="utf-8")), "村调查 without its timer"
    )
    untimed_case = api.submit(application())
    untimed = _task(api, untimed_case["id"])
    for task in (timed, untimed):
        _undate(server, task["id"])
        assert _row(server, task["id"]) == (None, False)

    # Four working days on: neither is due yet; both are dated, nothing escalated.
    due = due_after(opened_at, 5, county=COUNTY)
    set_clock(clock, due_after(opened_at, 4, county=COUNTY))
    assert _worker(server)["deadlines"] == 0
    assert _row(server, timed["id"]) == (datetime.fromisoformat(timed["due_at"]), False)
    assert _row(server, untimed["id"]) == (due, True)  # from its opening, not from now
    assert _escalations(api, untimed_case["id"]) == []

    # Once due, the catalogue's deadline escalates the untimed task, once.
    set_clock(clock, due + timedelta(minutes=1))
    counts = _worker(server)
    assert counts["deadlines"] == 1
    [event] = _escalations(api, untimed_case["id"])
    assert (event["task_id"], event["after"]["deadline"]) == (untimed["id"], "catalogue default")
    assert _worker(server)["deadlines"] == 0
