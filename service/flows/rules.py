"""The service's own rules for a flow, beyond what BPMN and the sandbox check.

They read the facts ``service.engine`` gathers from a parsed flow; a flow that breaks one is
refused at upload with the element and the reason, all of them at once.
"""

from __future__ import annotations

import time

from service.applications.models import ENDED, ENROLLED, PAID, REJECTED, REVOKED
from service.auth.models import COUNTY_APPROVER, FINANCE_OFFICER, LANE_ROLES
from service.engine import (
    SERVICE_WRITTEN,
    FieldSpec,
    FlowProblem,
    ParsedFlow,
    evaluate_condition,
)
from service.money import MONEY_FIELDS

DECISIONS = ("approve", "reject", "return")
# A flow ends at end_<status>. Withdrawal is a command, not an end of a flow; revocation is
# both: the county's command, and the end of a flow whose objection 举报 was upheld.
END_STATUSES = (PAID, ENROLLED, REJECTED, REVOKED, ENDED)
# Where money starts to flow: the finance officer's steps and the ends that pay or enrol.
PAYOUT_ENDS = frozenset({f"end_{PAID}", f"end_{ENROLLED}"})


def problems(flow: ParsedFlow, *, review_flow: bool = False) -> list[FlowProblem]:
    """Every rule ``flow`` breaks. ``review_flow``: a yearly review, which confirms an
    enrolment the county already approved, may end enrolled without the county; but a change
    to what is paid goes to the county in every flow (``data_problems``)."""
    found = [*_lane_problems(flow), *_end_problems(flow), *_gateway_problems(flow)]
    found += data_problems(flow)
    if not review_flow:
        found += _county_approval_problems(flow)
    return found


def _lane_problems(flow: ParsedFlow) -> list[FlowProblem]:
    found = [
        FlowProblem(
            lane_id,
            f"lane {name!r} is not a role that acts in flows; lanes are named by role code: "
            + ", ".join(LANE_ROLES),
        )
        for lane_id, name in flow.lanes
        if name not in LANE_ROLES
    ]
    found += [
        FlowProblem(task.id, f"user task {task.id!r} is in no lane, so nobody could act on it")
        for task in flow.user_tasks
        if task.lane is None
    ]
    return found


# The end of a path that only tells someone (a deadline's escalation 督办), not of the case.
ESCALATION_END_PREFIX = "escalated"


def _outcomes(flow: ParsedFlow) -> set[str]:
    return {end for end in flow.end_events if not end.startswith(ESCALATION_END_PREFIX)}


def _end_problems(flow: ParsedFlow) -> list[FlowProblem]:
    names = ", ".join(f"end_{status}" for status in END_STATUSES)
    return [
        FlowProblem(
            end,
            f"end event {end!r} names no final status; name it one of {names} (or "
            f"{ESCALATION_END_PREFIX}_<step> for the end of an escalation path)",
        )
        for end in sorted(_outcomes(flow))
        if end.removeprefix("end_") not in END_STATUSES or not end.startswith("end_")
    ]


# Conditions are run (sandboxed) to see which decision takes which branch. Each run is short;
# this bounds all of them together, so a file of thousands of gateways cannot hold a worker.
CHECK_BUDGET_S = 2.0


def _takes_a_branch(
    condition: str, decision: str, deadline: float, *, changes_money: bool, unknown: bool = False
) -> bool:
    """Whether ``condition`` holds after a task completed with ``decision`` (the service sets
    ``changes_money`` at every completion); ``unknown`` when it reads other variables."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    known = {"decision": decision, "changes_money": changes_money}
    try:
        return bool(evaluate_condition(condition, known, min(remaining, 0.1)))
    except Exception:  # noqa: BLE001 - a condition that needs more than the service sets
        return unknown


def _offered(flow: ParsedFlow, tasks: tuple[str, ...]) -> list[str]:
    """The decisions the tasks offer (their ``decision.*`` declarations, or all three)."""
    offered = set()
    for task_id in tasks:
        task = flow.user_task(task_id)
        offered |= {o.code for o in task.decisions} if task else set(DECISIONS)
    return [decision for decision in DECISIONS if decision in offered]


def _gateway_problems(flow: ParsedFlow) -> list[FlowProblem]:
    found: list[FlowProblem] = []
    deadline = time.monotonic() + CHECK_BUDGET_S
    for gateway in flow.gateways:
        if not gateway.after or gateway.has_default:
            continue
        for decision in _offered(flow, gateway.after):
            try:
                taken = all(
                    any(
                        _takes_a_branch(c, decision, deadline, changes_money=money)
                        for c in gateway.conditions
                    )
                    for money in (False, True)
                )
            except TimeoutError:
                reason = f"checking the gateways' conditions took over {CHECK_BUDGET_S:.0f} s"
                return [*found, FlowProblem(gateway.id, reason)]
            if not taken:
                found.append(
                    FlowProblem(
                        gateway.id,
                        f"gateway does not handle decision {decision!r} after "
                        f"{', '.join(gateway.after)}: add a branch whose condition holds for "
                        f"decision == {decision!r}, or a default flow",
                    )
                )
    return found


def _county_approval_problems(flow: ParsedFlow) -> list[FlowProblem]:
    county_tasks = frozenset(t.id for t in flow.user_tasks if t.lane == COUNTY_APPROVER)
    payouts = {t.id for t in flow.user_tasks if t.lane == FINANCE_OFFICER}
    payouts |= PAYOUT_ENDS & set(flow.end_events)
    reachable = flow.reachable_without(county_tasks)
    return [
        FlowProblem(
            element,
            f"{element!r} can be reached without a county_approver task: payout and enrolment "
            "come only after county approval (县级审批)",
        )
        for element in sorted(payouts & reachable)
    ]


def binding_problems(flow: ParsedFlow, *, kind: str, review: bool) -> list[FlowProblem]:
    """Whether a flow fits where it is bound: a one-time program's flow pays (end_paid), a
    yearly program's enrols (end_enrolled), and a yearly review continues or ends one."""
    ends = _outcomes(flow)
    if review:
        allowed, needed = {f"end_{ENROLLED}", f"end_{ENDED}"}, f"end_{ENROLLED}"
        what = "a yearly review flow"
    elif kind == "yearly":
        allowed, needed = (
            {f"end_{ENROLLED}", f"end_{REJECTED}", f"end_{REVOKED}"},
            f"end_{ENROLLED}",
        )
        what = "the flow of a yearly program"
    else:
        allowed, needed = {f"end_{PAID}", f"end_{REJECTED}", f"end_{REVOKED}"}, f"end_{PAID}"
        what = "the flow of a one-time program"
    found = [
        FlowProblem(end, f"{what} may end only at {', '.join(sorted(allowed))}")
        for end in sorted(ends - allowed)
    ]
    if needed not in ends:
        found.append(FlowProblem(None, f"{what} needs an end event {needed}"))
    return found


# Variables the service writes into every instance (at start: the program, its time limits,
# the facts the decision tables read; at every completion: the decision and comment). A task
# declaring one could overwrite what the service decided; completion refuses them at run time
# too (any name the instance started with).
SERVICE_VARIABLES = frozenset(
    {
        "program",
        "priority",
        "county",
        "time_limits",
        "year",
        "relation",
        "event_kind",
        "event_this_year",
        "certificate_holder",
        "two_daughters_sterilised",
        "mother_age",
        "has_spouse",
        *SERVICE_WRITTEN,
    }
)
# The type a field of what is paid must have: it becomes the case's column.
MONEY_FIELD_TYPES = {"eligible_parents": ("integer", 0, 2), "bank_card": ("card", None, None)}


def data_problems(flow: ParsedFlow) -> list[FlowProblem]:
    """Task data declarations: no service variable, money fields of their column's type,
    a payout's reference where a payout task declares data, and every change to what is
    paid routed to a county approver before anything pays."""
    found: list[FlowProblem] = []
    county_tasks = frozenset(t.id for t in flow.user_tasks if t.lane == COUNTY_APPROVER)
    for task in flow.user_tasks:
        names = {spec.name: spec for spec in task.fields}
        found += [
            FlowProblem(task.id, f"field {name!r} is a variable the service sets; rename it")
            for name in sorted(names.keys() & SERVICE_VARIABLES)
        ]
        found += _money_type_problems(task.id, names)
        reference = names.get("bank_reference")
        if (
            task.lane == FINANCE_OFFICER
            and names
            and (reference is None or reference.type != "reference" or not reference.required)
        ):
            found.append(
                FlowProblem(
                    task.id,
                    "a finance_officer task that declares data must declare "
                    "field.bank_reference as 'reference required' (the bank's reference "
                    "of the transfer)",
                )
            )
        if names.keys() & set(MONEY_FIELDS) and task.lane != COUNTY_APPROVER:
            found += _unapproved_money_paths(flow, task.id, county_tasks)
    return found


def _money_type_problems(task_id: str, names: dict[str, FieldSpec]) -> list[FlowProblem]:
    found = []
    for name, (kind, low, high) in MONEY_FIELD_TYPES.items():
        spec = names.get(name)
        if spec is None:
            continue
        in_bounds = (
            low is None
            or high is None
            or (
                spec.minimum is not None
                and spec.maximum is not None
                and low <= spec.minimum
                and spec.maximum <= high
            )
        )
        if spec.type != kind or not in_bounds:
            bounds = f" min={low} max={high} (or narrower)" if low is not None else ""
            found.append(
                FlowProblem(
                    task_id, f"field {name!r} changes what is paid: declare it as '{kind}{bounds}'"
                )
            )
    return found


def _unapproved_money_paths(
    flow: ParsedFlow, task_id: str, county_tasks: frozenset[str]
) -> list[FlowProblem]:
    """Where a change proposed at ``task_id`` could reach a payout without the county: the
    walk takes every branch that may hold once ``changes_money`` is true."""
    deadline = time.monotonic() + CHECK_BUDGET_S

    def may_hold(condition: str) -> bool:
        return any(
            _takes_a_branch(condition, decision, deadline, changes_money=True, unknown=True)
            for decision in DECISIONS
        )

    payouts = {t.id for t in flow.user_tasks if t.lane == FINANCE_OFFICER}
    payouts |= PAYOUT_ENDS & set(flow.end_events)
    try:
        reached = flow.reachable_from(task_id, county_tasks, may_hold)
    except TimeoutError:
        return [FlowProblem(task_id, f"checking its paths took over {CHECK_BUDGET_S:.0f} s")]
    return [
        FlowProblem(
            task_id,
            f"a change to what is paid made here can reach {element!r} without a "
            "county_approver task: route decisions with changes_money to the county "
            "(县级审批) first",
        )
        for element in sorted(payouts & reached)
    ]
