"""Every decision a user task offers is routed: the gateway right after the task has a branch
for each (issue 21 §1), so a reject or a return is never silently taken as going on.
"""

from __future__ import annotations

import time

from service.engine import FlowProblem, ParsedFlow
from service.flows.conditions import CHECK_BUDGET_S, DECISIONS, takes_a_branch, too_long


def offered(flow: ParsedFlow, tasks: tuple[str, ...]) -> list[str]:
    """The decisions the tasks offer (their ``decision.*`` declarations, or all three)."""
    offered = set()
    for task_id in tasks:
        task = flow.user_task(task_id)
        offered |= {o.code for o in task.decisions} if task else set(DECISIONS)
    return [decision for decision in DECISIONS if decision in offered]


def gateway_problems(flow: ParsedFlow) -> list[FlowProblem]:
    found: list[FlowProblem] = []
    deadline = time.monotonic() + CHECK_BUDGET_S
    for gateway in flow.gateways:
        if not gateway.after or gateway.has_default or not gateway.readable:
            continue  # a condition the sandbox refused is reported as such
        for decision in offered(flow, gateway.after):
            try:
                taken = all(
                    any(
                        takes_a_branch(c, decision, deadline, changes_money=money)
                        for c in gateway.conditions
                    )
                    for money in (False, True)
                )
            except TimeoutError:
                return [*found, too_long(gateway.id)]
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


def route_problems(flow: ParsedFlow) -> list[FlowProblem]:
    """A user task that offers more than one decision leads into an exclusive gateway that
    routes them (``gateway_problems`` checks its branches): a task dropped onto a sequence
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
