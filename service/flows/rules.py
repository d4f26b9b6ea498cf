"""The service's own rules for a flow, beyond what BPMN and the sandbox check.

They read the facts ``service.engine`` gathers from a parsed flow; a flow that breaks one is
refused at upload with the element and the reason, all of them at once.
"""

from __future__ import annotations

import time

from service.applications.models import ENDED, ENROLLED, PAID, REJECTED, REVOKED
from service.auth.models import COUNTY_APPROVER, FINANCE_OFFICER, LANE_ROLES
from service.engine import (
    ESCALATION_END_PREFIX,
    SERVICE_WRITTEN,
    Conventions,
    ExpressionTimeout,
    FieldSpec,
    FlowProblem,
    ParsedFlow,
    evaluate_condition,
)
from service.money import MONEY_FIELDS

DECISIONS = ("approve", "reject", "return")
# A flow ends at an end event with a final status (engine/conventions.py: end_<status>, a
# ``status`` property or the status as its name). Withdrawal is a command, not an end of a
# flow; revocation is both: the county's command, and the end of a flow whose objection 举报
# was upheld.
END_STATUSES = (PAID, ENROLLED, REJECTED, REVOKED, ENDED)
# Where money starts to flow: the finance officer's steps and the ends that pay or enrol.
PAYOUT_STATUSES = frozenset({PAID, ENROLLED})


def problems(flow: ParsedFlow, *, review_flow: bool = False) -> list[FlowProblem]:
    """Every rule ``flow`` breaks. ``review_flow``: a yearly review, which confirms an
    enrolment the county already approved, may end enrolled without the county; but a change
    to what is paid goes to the county in every flow (``data_problems``)."""
    found = convention_problems(flow.conventions) if flow.conventions else []
    if not _statuses(flow):
        found.append(
            FlowProblem(
                flow.key,
                f"process {flow.key!r} has no end event with a final status, so no case "
                f"could end: add one ({', '.join(f'end_{s}' for s in END_STATUSES)})",
                code="flow-no-end",
                params={"element": flow.key, "statuses": list(END_STATUSES)},
            )
        )
    found += [*_gateway_problems(flow), *_route_problems(flow)]
    found += data_problems(flow)
    if not review_flow:
        found += _county_approval_problems(flow)
    return found


def convention_problems(conventions: Conventions) -> list[FlowProblem]:
    """The rules on what the XML states, checked before the engine parses the flow (so an
    upload's refusal lists them even when the engine refuses it too): every human task has a
    role that acts in flows, and every end of the process a final status."""
    return [*_lane_problems(conventions), *_end_problems(conventions)]


_ROLE_HOW = (
    "name the lane by a role code, or give the task camunda:candidateGroups or a "
    "spiffworkflow property 'role' with one: "
)


def _lane_problems(conventions: Conventions) -> list[FlowProblem]:
    roles = ", ".join(LANE_ROLES)
    found = [
        FlowProblem(
            lane.id,
            f"lane {lane.role!r} is not a role that acts in flows; lanes are named by role code "
            f"(or carry a spiffworkflow property 'role'): {roles}",
            code="flow-lane-not-role",
            params={"element": lane.id, "lane": lane.role, "roles": list(LANE_ROLES)},
        )
        for lane in conventions.lanes
        if lane.id and lane.tasks and lane.role not in LANE_ROLES
    ]
    for task in conventions.roles:
        if not task.task:
            continue  # an element without an id is refused as such (engine.prechecks)
        if task.role is None:
            found.append(
                FlowProblem(
                    task.task,
                    f"user task {task.task!r} is in no lane, so nobody could act on it: "
                    + _ROLE_HOW
                    + roles,
                    code="flow-task-no-lane",
                    params={"task": task.task, "element": task.task, "roles": list(LANE_ROLES)},
                )
            )
        elif task.source != "lane" and task.role not in LANE_ROLES:
            found.append(
                FlowProblem(
                    task.task,
                    f"user task {task.task!r}: {task.role!r} (its {task.source}) is not a role "
                    f"that acts in flows; write one role code: {roles}",
                    code="flow-task-role-unknown",
                    params={
                        "element": task.task,
                        "role": task.role,
                        "roles": list(LANE_ROLES),
                    },
                )
            )
    return found


def _end_problems(conventions: Conventions) -> list[FlowProblem]:
    names = ", ".join(f"end_{status}" for status in END_STATUSES)
    return [
        FlowProblem(
            end.id,
            f"end event {end.id!r} names no final status; name it one of {names}, give it a "
            f"spiffworkflow property 'status' ({', '.join(END_STATUSES)}) or a status as its "
            f"name (or {ESCALATION_END_PREFIX}_<step> for the end of an escalation path)",
            code="flow-end-no-status",
            params={"element": end.id, "statuses": list(END_STATUSES)},
        )
        for end in conventions.ends
        if end.id and end.status is not None and end.status not in END_STATUSES
    ]


def _statuses(flow: ParsedFlow) -> set[str]:
    """The final statuses the process's ends give a case."""
    return {status for _end, status in flow.end_statuses if status is not None}


def _payout_ends(flow: ParsedFlow) -> set[str]:
    """Where money starts to flow: the ends that pay or enrol."""
    return {end for end, status in flow.end_statuses if status in PAYOUT_STATUSES}


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
    # Each condition may use the rest of the check's budget: a slice of it (0.1 s once) ran
    # out on a busy machine and a valid flow was refused as if its branch did not hold.
    # Running out is never an answer about the condition; it ends the check as too long.
    try:
        return bool(evaluate_condition(condition, known, remaining))
    except ExpressionTimeout:
        raise TimeoutError from None
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
        if not gateway.after or gateway.has_default or not gateway.readable:
            continue  # a condition the sandbox refused is reported as such
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
                return [*found, _too_long(gateway.id)]
            if not taken:
                found.append(
                    FlowProblem(
                        gateway.id,
                        f"gateway does not handle decision {decision!r} after "
                        f"{', '.join(gateway.after)}: add a branch whose condition holds for "
                        f"decision == {decision!r}, or a default flow",
                        code="flow-gateway-decision-unhandled",
                        params={
                            "element": gateway.id,
                            "decision": decision,
                            "tasks": list(gateway.after),
                        },
                    )
                )
    return found


def _too_long(element: str) -> FlowProblem:
    return FlowProblem(
        element,
        f"checking the conditions and paths after {element!r} took over "
        f"{CHECK_BUDGET_S:.0f} s: simplify its conditions",
        code="flow-check-too-long",
        params={"element": element, "seconds": int(CHECK_BUDGET_S)},
    )


def _route_problems(flow: ParsedFlow) -> list[FlowProblem]:
    """A user task that offers more than one decision leads into an exclusive gateway that
    routes them (``_gateway_problems`` checks its branches): a task dropped onto a sequence
    flow would otherwise go on whatever was decided, a reject ignored."""
    routed = {task for gateway in flow.gateways for task in gateway.after}
    found = []
    for task in flow.user_tasks:
        offered = [option.code for option in task.decisions]
        if len(offered) < 2 or task.id in routed:
            continue
        # Going on is what approving means; every other decision would be ignored.
        missing = [code for code in offered if code != "approve"] or offered
        shown = ", ".join(repr(code) for code in missing)
        found.append(
            FlowProblem(
                task.id,
                f"task {task.id!r} offers the decisions {', '.join(offered)}, but no "
                f"exclusive gateway after it routes {shown}: the case would go on whatever "
                "was decided. Add an exclusive gateway right after the task with a branch for "
                "each decision (decision == 'reject' …), or declare only the decisions the "
                "task offers (decision.* properties)",
                code="flow-task-decisions-unrouted",
                params={"element": task.id, "decisions": missing},
            )
        )
    return found


def _county_approval_problems(flow: ParsedFlow) -> list[FlowProblem]:
    county_tasks = frozenset(t.id for t in flow.user_tasks if t.lane == COUNTY_APPROVER)
    payouts = {t.id for t in flow.user_tasks if t.lane == FINANCE_OFFICER}
    payouts |= _payout_ends(flow)
    reachable = flow.reachable_without(county_tasks)
    return [
        FlowProblem(
            element,
            f"{element!r} can be reached without a county_approver task: payout and enrolment "
            "come only after county approval (县级审批)",
            code="flow-payout-without-county",
            params={"element": element},
        )
        for element in sorted(payouts & reachable)
    ]


def binding_problems(flow: ParsedFlow, *, kind: str, review: bool) -> list[FlowProblem]:
    """Whether a flow fits where it is bound: a one-time program's flow pays (end_paid), a
    yearly program's enrols (end_enrolled), and a yearly review continues or ends one."""
    if review:
        allowed, needed = {ENROLLED, ENDED}, ENROLLED
        what = "a yearly review flow"
    elif kind == "yearly":
        allowed, needed = {ENROLLED, REJECTED, REVOKED}, ENROLLED
        what = "the flow of a yearly program"
    else:
        allowed, needed = {PAID, REJECTED, REVOKED}, PAID
        what = "the flow of a one-time program"
    listed = ", ".join(f"end_{status}" for status in sorted(allowed))
    found = [
        FlowProblem(
            end,
            f"end event {end!r} ({status}): {what} may end only at {listed}",
            code="flow-end-not-allowed",
            params={"element": end, "status": status, "statuses": sorted(allowed)},
        )
        for end, status in sorted(flow.end_statuses)
        if status is not None and status not in allowed
    ]
    if needed not in _statuses(flow):
        found.append(
            FlowProblem(
                flow.key,
                f"{what} needs an end event end_{needed} (status {needed!r}); process "
                f"{flow.key!r} has none",
                code="flow-end-missing",
                params={"element": flow.key, "status": needed},
            )
        )
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
        "child_age",
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
            FlowProblem(
                task.id,
                f"field {name!r} is a variable the service sets; rename it",
                code="flow-field-reserved",
                params={"element": task.id, "field": name},
            )
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
                    code="flow-payout-reference-missing",
                    params={"element": task.id},
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
                    task_id,
                    f"field {name!r} changes what is paid: declare it as '{kind}{bounds}'",
                    code="flow-money-field-type",
                    params={"element": task_id, "field": name, "declaration": f"{kind}{bounds}"},
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
    payouts |= _payout_ends(flow)
    try:
        reached = flow.reachable_from(task_id, county_tasks, may_hold)
    except TimeoutError:
        return [_too_long(task_id)]
    return [
        FlowProblem(
            task_id,
            f"a change to what is paid made here can reach {element!r} without a "
            "county_approver task: route decisions with changes_money to the county "
            "(县级审批) first",
            code="flow-money-without-county",
            params={"element": task_id, "target": element},
        )
        for element in sorted(payouts & reached)
    ]
