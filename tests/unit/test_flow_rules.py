"""The service's own rules for an uploaded flow (service/flows/rules.py), on the shipped
hardship relief flow changed the way a modeler's mistake would change it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from service.engine import FlowProblem, ParsedFlow, parse_flow
from service.flows.rules import binding_problems, problems

SHIPPED = (Path(__file__).resolve().parents[2] / "workflows" / "hardship_relief.bpmn").read_text(
    encoding="utf-8"
)


def changed(*edits: tuple[str, str], strict: bool = True) -> ParsedFlow:
    """The shipped flow with each regex ``pattern`` replaced (each must match); not
    ``strict``: parsed with the engine's problems listed rather than raised."""
    text = SHIPPED
    for pattern, replacement in edits:
        text, count = re.subn(pattern, replacement, text)
        assert count, pattern
    return parse_flow(text.encode(), strict=strict)


def where(found: list[FlowProblem]) -> dict[str | None, str]:
    return {problem.element: problem.reason for problem in found}


# The township's "return" branch, whose condition a typo can break.
TOWNSHIP_RETURN = (
    r"(sourceRef=\"gw_township_review\" targetRef=\"correction\">\s*"
    r"(?:<bpmn:extensionElements>[\s\S]*?</bpmn:extensionElements>\s*)?"
    r"<bpmn:conditionExpression [^>]*>)decision == 'return'"
)


def test_the_shipped_flow_breaks_no_rule() -> None:
    flow = parse_flow(SHIPPED.encode())
    assert problems(flow) == []
    assert binding_problems(flow, kind="one_time", review=False) == []


def test_a_lane_not_named_by_a_role_is_refused() -> None:
    flow = changed(('name="village_head"', 'name="村委会"'))
    found = where(problems(flow))
    assert list(found) == ["Lane_village_head"]
    assert "'村委会' is not a role" in found["Lane_village_head"]


def test_an_end_that_names_no_final_status_is_refused() -> None:
    flow = changed(("end_paid", "end_done"))
    found = where(problems(flow))
    assert "end_done" in found
    assert "names no final status" in found["end_done"]


def test_a_gateway_that_cannot_take_a_decision_is_refused() -> None:
    flow = changed((TOWNSHIP_RETURN, r"\1decision == 'send_back'"))
    found = where(problems(flow))
    assert list(found) == ["gw_township_review"]
    assert "does not handle decision 'return'" in found["gw_township_review"]


def test_money_reachable_without_county_approval_is_refused() -> None:
    # The township's approval goes straight to the public notice and the payout.
    flow = changed(
        (r'(id="Flow_township_approve"[^>]*targetRef=)"county_verification"', r'\1"notice_open"'),
        strict=False,
    )
    # The county's step is cut off: the upload says so too, with the payout's own problem.
    assert "county_verification" in {p.element for p in flow.problems}
    assert {p.code for p in flow.problems} == {"flow-element-unreachable"}
    found = where(problems(flow))
    assert set(found) == {"card_payout", "end_paid"}
    assert all("without a county_approver task" in reason for reason in found.values())
    # A yearly review confirms an enrolment the county approved before: not held to it.
    assert problems(flow, review_flow=True) == []


def test_every_broken_rule_is_reported_at_once() -> None:
    flow = changed(
        ('name="village_head"', 'name="村委会"'),
        (TOWNSHIP_RETURN, r"\1decision == 'send_back'"),
    )
    assert set(where(problems(flow))) == {"Lane_village_head", "gw_township_review"}


@pytest.mark.parametrize(
    ("kind", "review", "expected"),
    [
        ("one_time", False, set()),
        # A yearly program enrols: no end_paid; the missing end names the process.
        ("yearly", False, {"end_paid", "hardship_relief"}),
        (
            "one_time",
            True,
            {"end_paid", "end_rejected", "end_revoked", "hardship_relief"},
        ),  # review: enrolled|ended
    ],
)
def test_a_flow_fits_only_where_its_ends_fit(kind: str, review: bool, expected: set) -> None:
    flow = parse_flow(SHIPPED.encode())
    found = where(binding_problems(flow, kind=kind, review=review))
    assert set(found) == expected
    if "hardship_relief" in expected:
        assert "needs an end event" in found["hardship_relief"]


def test_running_out_of_time_is_never_read_as_a_branch_not_taken() -> None:
    """A condition that does not finish in the time left says nothing about whether it
    holds: the check ends as too long rather than refusing a valid flow as unrouted (on a
    busy CI machine a valid pilot flow was refused as not handling 'approve')."""
    from service.flows.conditions import takes_a_branch

    # Thousands of comparisons: milliseconds under the sandbox's per-opcode tracer.
    long_condition = " or ".join(f"decision == 'x{n}'" for n in range(5000))
    long_condition += " or decision == 'approve'"
    with pytest.raises(TimeoutError):
        takes_a_branch(long_condition, "approve", time.monotonic() + 0.002, changes_money=False)
    assert takes_a_branch(long_condition, "approve", time.monotonic() + 5, changes_money=False)


def test_the_engine_tries_branches_by_height_so_overlapping_conditions_are_refused() -> None:
    """SpiffWorkflow tries a gateway's conditions by their targets' height on the diagram:
    with ``decision != 'reject'`` on the county branch, a return goes to the correction while
    the correction is drawn above the county task, and to the county once the county task is
    moved above it. The check reads the engine's order (engine/routes.py) and refuses the
    condition whichever way it is drawn."""
    from service.engine.routes import gateway_branches

    county_branch = (
        r"(sourceRef=\"gw_township_review\" targetRef=\"county_verification\">\s*"
        r"(?:<bpmn:extensionElements>[\s\S]*?</bpmn:extensionElements>\s*)?"
        r"<bpmn:conditionExpression [^>]*>)decision == 'approve'"
    )
    not_reject = (county_branch, r"\1decision != 'reject'")
    moved_up = (
        r'(bpmnElement="county_verification">\s*<dc:Bounds x="\d+") y="\d+"',
        r'\1 y="10"',
    )

    def first_for_return(flow: ParsedFlow) -> str:
        for branch in gateway_branches(flow)["gw_township_review"]:
            if branch.condition and eval(branch.condition, {"decision": "return"}):  # noqa: S307
                return branch.target
        raise AssertionError("no branch")

    as_drawn, moved = changed(not_reject, strict=False), changed(not_reject, moved_up, strict=False)
    assert first_for_return(as_drawn) == "correction"
    assert first_for_return(moved) == "county_verification"
    codes = {
        name: {(p.code, p.params.get("decision")) for p in problems(flow)}
        for name, flow in (("as drawn", as_drawn), ("moved", moved))
    }
    assert codes["as drawn"] == {("flow-gateway-conditions-overlap", "return")}
    # Moved, the return goes on with the approvals: that is said too.
    assert codes["moved"] == {
        ("flow-gateway-conditions-overlap", "return"),
        ("flow-gateway-decisions-merged", None),
    }
