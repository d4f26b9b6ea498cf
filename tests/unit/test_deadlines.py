"""Deadlines 限时办结: a step's time limit in working days, counted on the county's calendar from
the moment the step arrives, and the flow's timer that marks it overdue when that passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from service.deadlines.service import DEFAULT_WORKING_DAYS, deadline
from service.engine import Instance, ParsedFlow, parse_flow
from tests.unit.conftest import SetClock

CHINA = timezone(timedelta(hours=8))
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
LIMITS = {"village_investigation": 5, "village_cosign": 3, "default": 10}
FRIDAY_AFTERNOON = datetime(2026, 11, 27, 15, 0, tzinfo=CHINA)


def test_a_step_arriving_on_friday_is_due_when_its_last_working_day_ends(clock: SetClock) -> None:
    clock(FRIDAY_AFTERNOON)
    data = {"time_limits": LIMITS, "county": "130123"}
    # Five working days after Friday 27 Nov: Mon 30 Nov … Fri 4 Dec; due at midnight.
    assert deadline(data, "village_investigation") == "2026-12-05T00:00:00+08:00"
    # Three: Mon, Tue, Wed; the weekend is not counted.
    assert deadline(data, "village_cosign") == "2026-12-03T00:00:00+08:00"


def test_a_step_without_its_own_limit_takes_the_programs_default(clock: SetClock) -> None:
    clock(FRIDAY_AFTERNOON)
    assert deadline({"time_limits": LIMITS}, "county_verification") == "2026-12-12T00:00:00+08:00"
    # A program without time limits: the service's default.
    assert DEFAULT_WORKING_DAYS == 10
    assert deadline({}, "county_verification") == "2026-12-12T00:00:00+08:00"


def test_the_national_day_week_is_not_counted_and_the_worked_saturday_is(
    clock: SetClock,
) -> None:
    clock(datetime(2026, 9, 30, 9, 0, tzinfo=CHINA))
    # 1–7 Oct off; Thu 8, Fri 9 and Saturday 10 Oct (调休) are the three working days.
    data = {"time_limits": {"township_review": 3}, "county": "130123"}
    assert deadline(data, "township_review") == "2026-10-11T00:00:00+08:00"


@pytest.fixture(scope="module")
def hardship() -> ParsedFlow:
    return parse_flow((WORKFLOWS / "hardship_relief.bpmn").read_bytes())


def test_a_step_of_a_running_flow_carries_its_deadline_and_goes_overdue_after_it(
    hardship: ParsedFlow, clock: SetClock
) -> None:
    clock(FRIDAY_AFTERNOON)
    data = {"program": "hardship_relief", "county": "130123", "time_limits": LIMITS}
    instance = Instance.load(hardship, Instance.start(hardship, data).dump())
    [task] = instance.ready_tasks()
    due = datetime(2026, 12, 5, tzinfo=CHINA)
    assert (task.spec, task.due_at, task.overdue) == ("village_investigation", due, False)

    clock(due - timedelta(seconds=1))
    instance.fire_timers()
    assert instance.ready_tasks()[0].overdue is False

    clock(due + timedelta(minutes=1))
    instance.fire_timers()
    [late] = instance.ready_tasks()
    # Overdue, and still the caseworker's to finish: the timer tells, it does not take over.
    assert (late.spec, late.lane, late.overdue) == ("village_investigation", "caseworker", True)
    assert late.due_at == due.astimezone(UTC)
