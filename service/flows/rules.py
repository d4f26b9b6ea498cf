"""The service's own rules for a flow, beyond what BPMN and the sandbox check.

They read the facts ``service.engine`` gathers from a parsed flow; a flow that breaks one is
refused at upload with the element and the reason, all of them at once.
"""

from __future__ import annotations

from service.applications.models import ENDED, ENROLLED, PAID, REJECTED, REVOKED
from service.auth.models import COUNTY_APPROVER, LANE_ROLES
from service.engine import ESCALATION_END_PREFIX, Conventions, FlowProblem, ParsedFlow
from service.flows.data_rules import data_problems
from service.flows.ends import END_STATUSES, payouts, statuses
from service.flows.routing import gateway_problems, route_problems


def problems(flow: ParsedFlow, *, review_flow: bool = False) -> list[FlowProblem]:
    """Every rule ``flow`` breaks. ``review_flow``: a yearly review, which confirms an
    enrolment the county already approved, may end enrolled without the county; but a change
    to what is paid goes to the county in every flow (``data_problems``)."""
    found = convention_problems(flow.conventions) if flow.conventions else []
    if not statuses(flow):
        found.append(
            FlowProblem(
                flow.key,
                f"process {flow.key!r} has no end event with a final status, so no case "
                f"could end: add one ({', '.join(f'end_{s}' for s in END_STATUSES)})",
                code="flow-no-end",
                params={"element": flow.key, "statuses": list(END_STATUSES)},
            )
        )
    found += [*gateway_problems(flow, review_flow=review_flow), *route_problems(flow)]
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
            (
                f"lane {lane.role!r} is not a role that acts in flows"
                if lane.role
                else f"lane {lane.id!r} has no name, so no role acts in it"
            )
            + "; lanes are named by role code or the role's name (村计生专干…), or carry a "
            f"spiffworkflow property 'role': {roles}",
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


def _county_approval_problems(flow: ParsedFlow) -> list[FlowProblem]:
    county_tasks = frozenset(t.id for t in flow.user_tasks if t.lane == COUNTY_APPROVER)
    reachable = flow.reachable_without(county_tasks)
    return [
        FlowProblem(
            element,
            f"{element!r} can be reached without a county_approver task: payout and enrolment "
            "come only after county approval (县级审批)",
            code="flow-payout-without-county",
            params={"element": element},
        )
        for element in sorted(payouts(flow) & reachable)
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
    if needed not in statuses(flow):
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
