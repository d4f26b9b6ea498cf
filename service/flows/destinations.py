"""Where a decision's branch leads on: a reject or a return never goes on as if approved,
nor on to a payout with nobody deciding again (routing.py runs these per gateway)."""

from __future__ import annotations

from service.engine import FlowProblem, GatewayInfo, ParsedFlow
from service.engine.routes import Branch
from service.flows.conditions import holds, takes_a_branch
from service.flows.ends import payouts

# The branches each (decision, changes_money) may take at a gateway (None: none).
Ways = dict[tuple[str, bool], set[Branch | None]]


def goes_on_like_approve(
    flow: ParsedFlow,
    gateway: GatewayInfo,
    decisions: list[str],
    ways: Ways,
    deadline: float,
    found: list[FlowProblem],
) -> list[FlowProblem]:
    """A reject or a return that a branch not drawn for it alone (the default flow, a
    condition that holds for other decisions too) takes to the step an approval goes to, by
    another branch or through an event: it goes on as if approved."""
    if "approve" not in decisions:
        return []
    reported = {
        d
        for p in found
        if p.element == gateway.id and p.code == "flow-gateway-decisions-merged"
        for d in p.params["decisions"]
    }
    approved = set().union(
        *(
            _next_steps(flow, b.target, "approve", deadline)
            for m in (False, True)
            for b in ways["approve", m]
            if b
        )
    )
    problems = []
    for decision in (d for d in _NOT_GOING_ON if d in decisions and d not in reported):
        for branch in sorted(
            {b for m in (False, True) for b in ways[decision, m] if b},
            key=lambda b: (b.target, b.condition or ""),
        ):
            if branch.condition is not None and not any(
                holds(branch.condition, other, deadline, changes_money=m)
                for other in decisions
                if other != decision
                for m in (False, True)
            ):
                continue  # a branch drawn for this decision alone goes where it was drawn to
            shared = sorted(_next_steps(flow, branch.target, decision, deadline) & approved)
            if shared:
                problems.append(
                    FlowProblem(
                        gateway.id,
                        f"the decisions 'approve' and {decision!r} after "
                        f"{', '.join(gateway.after)} both lead to {shared[0]!r} ({decision!r} "
                        f"by the branch to {branch.target!r}, which is not drawn for it "
                        "alone): the case goes the same way whichever is decided. Give "
                        f"{decision!r} a branch of its own (decision == {decision!r})",
                        code="flow-gateway-decisions-merged",
                        params={
                            "element": gateway.id,
                            "decisions": ["approve", decision],
                            "tasks": list(gateway.after),
                            "target": shared[0],
                        },
                    )
                )
                break
    return problems


def _next_steps(flow: ParsedFlow, target: str, decision: str, deadline: float) -> set[str]:
    """The people's steps and ends a branch to ``target`` leads to first."""
    people = frozenset(task.id for task in flow.user_tasks)
    stops = people | set(flow.end_events)
    if target in stops:
        return {target}

    def may_hold(condition: str) -> bool:
        return any(
            takes_a_branch(condition, decision, deadline, changes_money=m, unknown=True)
            for m in (False, True)
        )

    return flow.reachable_from(target, people, may_hold) & stops


# Decisions that never pay by themselves: someone must decide again before any payout.
_NOT_GOING_ON = ("reject", "return")


def onward_to_payout(
    flow: ParsedFlow, gateway: GatewayInfo, ways: Ways, deadline: float, *, review_flow: bool
) -> list[FlowProblem]:
    """A reject or a return whose branch reaches a payout (a finance officer's task, an end
    that pays or enrols) with no person's task between."""
    paying = payouts(flow, review_flow=review_flow)
    people = frozenset(task.id for task in flow.user_tasks)
    found = []
    for decision in _NOT_GOING_ON:
        targets = sorted(
            {b.target for m in (False, True) for b in ways.get((decision, m), ()) if b}
        )
        for target in targets:

            def may_hold(condition: str, decision: str = decision) -> bool:
                return any(
                    takes_a_branch(condition, decision, deadline, changes_money=m, unknown=True)
                    for m in (False, True)
                )

            reached = (
                {target} if target in people else flow.reachable_from(target, people, may_hold)
            )
            reached.add(target)
            hit = sorted(reached & paying)
            if hit:
                found.append(
                    FlowProblem(
                        gateway.id,
                        f"decision {decision!r} after {', '.join(gateway.after)} takes the "
                        f"branch to {target!r}, which leads on to {hit[0]!r}: a {decision} "
                        "would pay. Lead it to an end_rejected end or back to an earlier step",
                        code="flow-decision-reaches-payout",
                        params={
                            "element": gateway.id,
                            "decision": decision,
                            "tasks": list(gateway.after),
                            "target": hit[0],
                        },
                    )
                )
    return found
