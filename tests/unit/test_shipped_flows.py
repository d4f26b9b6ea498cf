"""The shipped flows (workflows/*.bpmn) run in this process by the engine, as the service runs
them: who acts at each step, and where each decision leads. tests/engine/test_flow.py does the
same for emergency consolation in more depth (stored state, refusals, hostile XML)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from service.config import get_settings
from service.engine import Instance, ParsedFlow, TaskNotReady, parse_flow
from service.flows import rules
from tests.unit.conftest import SetClock

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
CHINA = timezone(timedelta(hours=8))
VILLAGE_TO_COUNTY = [
    ("village_investigation", "caseworker"),
    ("village_cosign", "village_head"),
    ("township_review", "township_reviewer"),
    ("county_verification", "county_approver"),
]


@pytest.fixture(scope="module")
def flows() -> dict[str, ParsedFlow]:
    return {path.stem: parse_flow(path.read_bytes()) for path in WORKFLOWS.glob("*.bpmn")}


def started(flow: ParsedFlow, program: str) -> Instance:
    data = {"program": program, "county": "130123", "time_limits": {"default": 10}}
    return Instance.start(flow, {**data, "priority": False})


def walk(instance: Instance, decisions: list[str]) -> list[tuple[str, str | None]]:
    """Each decision in turn on the one ready task, in that task's lane; returns (step, lane)
    of each task decided."""
    flow_steps = []
    for decision in decisions:
        [task] = instance.ready_tasks()
        flow_steps.append((task.spec, task.lane))
        assert task.lane is not None
        instance.complete(
            task.engine_task_id,
            lane=task.lane,
            decision=decision,
            comment="",
            data=payout_data(task.lane, decision),
        )
    return flow_steps


def payout_data(lane: str, decision: str) -> dict[str, str]:
    """The payout task's declared reference, which approving it requires."""
    return (
        {"bank_reference": "BANK-2026-1"}
        if (lane, decision) == ("finance_officer", "approve")
        else {}
    )


def test_every_shipped_flow_keeps_the_services_rules(flows: dict[str, ParsedFlow]) -> None:
    assert set(flows) >= {"emergency_consolation", "hardship_relief", "special_assistance"}
    for name, flow in flows.items():
        assert rules.problems(flow, review_flow=name.endswith("_review")) == [], name


def test_hardship_relief_is_paid_after_five_approvals_in_order(
    flows: dict[str, ParsedFlow],
) -> None:
    instance = started(flows["hardship_relief"], "hardship_relief")
    steps = walk(instance, ["approve"] * 5)
    assert steps == [*VILLAGE_TO_COUNTY, ("card_payout", "finance_officer")]
    assert instance.outcome() == "end_paid"
    assert instance.ready_tasks() == []


@pytest.mark.parametrize("level", [2, 3], ids=["township", "county"])
def test_a_rejection_at_township_or_county_ends_the_case_rejected(
    flows: dict[str, ParsedFlow], level: int
) -> None:
    instance = started(flows["hardship_relief"], "hardship_relief")
    walk(instance, ["approve"] * level + ["reject"])
    assert instance.outcome() == "end_rejected"


def test_a_case_returned_by_the_township_goes_back_to_the_caseworker_and_up_again(
    flows: dict[str, ParsedFlow],
) -> None:
    instance = started(flows["hardship_relief"], "hardship_relief")
    walk(instance, ["approve", "approve", "return"])
    [correction] = instance.ready_tasks()
    assert (correction.spec, correction.lane) == ("correction", "caseworker")
    steps = walk(instance, ["approve"] * 6)
    assert steps[1:] == [*VILLAGE_TO_COUNTY, ("card_payout", "finance_officer")]
    assert instance.outcome() == "end_paid"


def test_only_the_lane_of_the_step_may_decide_it(flows: dict[str, ParsedFlow]) -> None:
    instance = started(flows["hardship_relief"], "hardship_relief")
    [task] = instance.ready_tasks()
    for lane in ("village_head", "county_approver", "finance_officer"):
        with pytest.raises(TaskNotReady):
            instance.complete(
                task.engine_task_id, lane=lane, decision="approve", comment="", data={}
            )
    assert instance.ready_tasks() == [task]


def test_special_assistance_enrols_at_county_approval_without_a_payout_step(
    flows: dict[str, ParsedFlow],
) -> None:
    instance = started(flows["special_assistance"], "special_assistance")
    assert walk(instance, ["approve"] * 4) == VILLAGE_TO_COUNTY
    assert instance.outcome() == "end_enrolled"


@pytest.mark.parametrize(
    ("decisions", "outcome"),
    [(["approve", "approve"], "end_enrolled"), (["approve", "reject"], "end_ended")],
)
def test_the_yearly_review_continues_or_ends_an_enrolment(
    flows: dict[str, ParsedFlow], decisions: list[str], outcome: str
) -> None:
    instance = started(flows["special_assistance_review"], "special_assistance")
    steps = walk(instance, decisions)
    assert steps == [("annual_review", "caseworker"), ("review_cosign", "village_head")]
    assert instance.outcome() == outcome


@pytest.fixture
def seven_day_notice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RELIEF_NOTICE_DAYS", "7")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.usefixtures("seven_day_notice")
def test_after_county_approval_the_money_waits_for_the_public_notice_to_end(
    flows: dict[str, ParsedFlow], clock: SetClock
) -> None:
    approved_at = datetime(2026, 11, 2, 10, 0, tzinfo=CHINA)
    clock(approved_at)
    instance = started(flows["hardship_relief"], "hardship_relief")
    walk(instance, ["approve"] * 4)
    assert instance.ready_tasks() == []  # no payout while the notice 公示 runs
    assert instance.due_at("notice") == approved_at + timedelta(days=7)

    clock(approved_at + timedelta(days=7, seconds=1))
    instance.fire_timers()
    [payout] = instance.ready_tasks()
    assert (payout.spec, payout.lane) == ("card_payout", "finance_officer")
