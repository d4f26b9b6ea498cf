"""平安保障's eligibility table: special-assistance households enrolled for their only child's
death or disability are insured; anyone else, including any other category of special
assistance (计划生育手术并发症人员, which the service does not have yet), is not."""

from __future__ import annotations

import itertools

import pytest

from service.insurance import plans

PROGRAMS = ("special_assistance", "emergency_consolation", "hardship_relief")
EVENTS = ("child_death", "child_disability", "surgery_complication", "accidental_death")


@pytest.mark.parametrize(
    ("program", "enrolled", "event_kind"), itertools.product(PROGRAMS, (True, False), EVENTS)
)
def test_every_case_gets_one_verdict_with_its_reason(
    program: str, enrolled: bool, event_kind: str
) -> None:
    plan = plans.get("safety_insurance")
    eligible, reason = plan.decide(
        {"program": program, "enrolled": enrolled, "event_kind": event_kind}
    )
    expected = (
        program == "special_assistance"
        and enrolled
        and event_kind in ("child_death", "child_disability")
    )
    assert eligible is expected
    assert reason


def test_surgery_complication_people_are_left_out_with_the_seed_s_words() -> None:
    plan = plans.get("safety_insurance")
    facts = {
        "program": "special_assistance",
        "enrolled": True,
        "event_kind": "surgery_complication",
    }
    eligible, reason = plan.decide(facts)
    assert not eligible
    assert "不含计划生育手术并发症人员" in reason


def test_the_plan_carries_the_seed_s_sums_and_deadline() -> None:
    plan = plans.get("safety_insurance")
    assert (plan.premium_fen, plan.sum_insured_fen) == (10000, 10000000)
    assert plan.due_on(2026).isoformat() == "2026-08-31"
    assert plan.payee_account == "insurer"
