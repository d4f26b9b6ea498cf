"""Every decision a user task offers is routed: the gateway right after the task has a branch
for each (issue 21 §1), so a reject or a return is never silently taken as going on.
"""

from __future__ import annotations

import time

from service.engine import FlowProblem, GatewayInfo, ParsedFlow
from service.engine.routes import Branch, gateway_branches
from service.flows.conditions import CHECK_BUDGET_S, DECISIONS, holds, too_long
from service.flows.destinations import Ways, goes_on_like_approve, onward_to_payout


def offered(flow: ParsedFlow, tasks: tuple[str, ...]) -> list[str]:
    """The decisions the tasks offer (their ``decision.*`` declarations, or all three)."""
    offered = set()
    for task_id in tasks:
        task = flow.user_task(task_id)
        offered |= {o.code for o in task.decisions} if task else set(DECISIONS)
    return [decision for decision in DECISIONS if decision in offered]


def gateway_problems(flow: ParsedFlow, *, review_flow: bool = False) -> list[FlowProblem]:
    """The gateway right after a user task takes each decision the task offers somewhere, a
    different way for each, and never on to a payout for a reject or a return. Branches are
    tried as the engine tries them (routes.py): the first whose condition holds, else the
    default; a condition that depends on other data may or may not hold."""
    found: list[FlowProblem] = []
    deadline = time.monotonic() + CHECK_BUDGET_S
    branches = gateway_branches(flow)
    for gateway in flow.gateways:
        if not gateway.after or not gateway.readable:
            continue  # a condition the sandbox refused is reported as such
        decisions = offered(flow, gateway.after)
        try:
            ways = {
                (decision, money): _ways(branches.get(gateway.id, ()), decision, money, deadline)
                for decision in decisions
                for money in (False, True)
            }
            found += _unhandled(gateway, decisions, ways)
            found += _merged(flow, gateway, decisions, ways)
            found += _overlapping(gateway, branches.get(gateway.id, ()), decisions, deadline)
            found += goes_on_like_approve(flow, gateway, decisions, ways, deadline, found)
            found += onward_to_payout(flow, gateway, ways, deadline, review_flow=review_flow)
        except TimeoutError:
            return [*found, too_long(gateway.id)]
    return found


def _ways(
    branches: tuple[Branch, ...], decision: str, money: bool, deadline: float
) -> set[Branch | None]:
    """The branches ``decision`` may take (None: none, the engine would stop)."""
    ways: set[Branch | None] = set()
    for branch in branches:
        if branch.condition is None:
            continue
        held = holds(branch.condition, decision, deadline, changes_money=money)
        if held:
            return ways | {branch}
        if held is None:
            ways.add(branch)
    default = next((b for b in branches if b.condition is None), None)
    return ways | {default}


def _unhandled(gateway: GatewayInfo, decisions: list[str], ways: Ways) -> list[FlowProblem]:
    return [
        FlowProblem(
            gateway.id,
            f"gateway does not handle decision {decision!r} after "
            f"{', '.join(gateway.after)}: add a branch whose condition holds for "
            f"decision == {decision!r}, or a default flow",
            code="flow-gateway-decision-unhandled",
            params={"element": gateway.id, "decision": decision, "tasks": list(gateway.after)},
        )
        for decision in decisions
        if any(None in ways[decision, money] for money in (False, True))
    ]


def _merged(
    flow: ParsedFlow, gateway: GatewayInfo, decisions: list[str], ways: Ways
) -> list[FlowProblem]:
    """Two decisions that take one branch where that ignores one of them: a reject or a
    return going on as if approved (a default flow catching everything, ``decision !=
    'reject'``), or ending the case as the other would. A reject and a return both sent back
    to a person's step (a modeler's "payout failed" default) still reach someone who acts.
    Two branches of their own that meet again are drawn on purpose (a review's county
    keeping or changing an enrolment)."""
    ends = set(flow.end_events)
    found, reported = [], set()
    branches = {b for way in ways.values() for b in way if b is not None}
    for branch in sorted(branches, key=lambda b: (b.target, b.condition or "")):
        target = branch.target
        for money in (False, True):
            # Only where the route is sure: a condition that reads what the service does not
            # set (or is not Python, ``tru``) may or may not hold, and is said as such.
            same = tuple(d for d in decisions if ways[d, money] == {branch})
            if len(same) < 2 or (same, branch) in reported:
                continue
            if "approve" not in same and target not in ends:
                continue
            reported.add((same, branch))
            shown = ", ".join(repr(d) for d in same[:-1]) + f" and {same[-1]!r}"
            every = "both" if len(same) == 2 else "all"
            found.append(
                FlowProblem(
                    gateway.id,
                    f"the decisions {shown} after {', '.join(gateway.after)} {every} take the "
                    f"branch to {target!r}, so the case goes the same way whichever is "
                    "decided: give each decision a branch of its own, with a condition "
                    f"decision == {same[-1]!r} before any default flow",
                    code="flow-gateway-decisions-merged",
                    params={
                        "element": gateway.id,
                        "decisions": list(same),
                        "tasks": list(gateway.after),
                        "target": target,
                    },
                )
            )
    return found


def _overlapping(
    gateway: GatewayInfo, branches: tuple[Branch, ...], decisions: list[str], deadline: float
) -> list[FlowProblem]:
    """Two branches whose conditions both hold for one decision: the engine takes the one whose
    target is drawn higher on the diagram, so moving a box in a modeler would change the route."""
    found, reported = [], set()
    for decision in decisions:
        for money in (False, True):
            targets = tuple(
                dict.fromkeys(
                    branch.target
                    for branch in branches
                    if branch.condition is not None
                    and holds(branch.condition, decision, deadline, changes_money=money)
                )
            )
            if len(targets) < 2 or (decision, targets) in reported:
                continue
            reported.add((decision, targets))
            found.append(
                FlowProblem(
                    gateway.id,
                    f"for decision {decision!r}, the conditions of the branches to "
                    f"{' and '.join(repr(t) for t in targets)} both hold: the engine takes the "
                    "one drawn higher on the diagram, so moving a box would change where the "
                    f"case goes. Make each condition name its decision (decision == {decision!r})",
                    code="flow-gateway-conditions-overlap",
                    params={"element": gateway.id, "decision": decision, "targets": list(targets)},
                )
            )
    return found


def route_problems(flow: ParsedFlow) -> list[FlowProblem]:
    """A user task that offers a decision besides approve leads into an exclusive gateway that
    routes them (``gateway_problems`` checks its branches): a task dropped onto a sequence
    flow would otherwise go on whatever was decided, a reject ignored."""
    routed = {task for gateway in flow.gateways for task in gateway.after}
    found = []
    for task in flow.user_tasks:
        offered = [option.code for option in task.decisions]
        # Going on is what approving means; every other decision would be ignored, a task
        # that offers only 'reject' as much as one that offers all three.
        missing = [code for code in offered if code != "approve"]
        if not missing or task.id in routed:
            continue
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
