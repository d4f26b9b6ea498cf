"""The rules on the data a flow's tasks take: no service variable, money fields of their
column's type, a payout's bank reference, and every change to what is paid seen by the county.
"""

from __future__ import annotations

import time

from service.auth.models import COUNTY_APPROVER, FINANCE_OFFICER
from service.engine import SERVICE_WRITTEN, FieldSpec, FlowProblem, ParsedFlow
from service.flows.conditions import CHECK_BUDGET_S, DECISIONS, takes_a_branch, too_long
from service.flows.ends import payouts
from service.money import MONEY_FIELDS

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
            takes_a_branch(condition, decision, deadline, changes_money=True, unknown=True)
            for decision in DECISIONS
        )

    try:
        reached = flow.reachable_from(task_id, county_tasks, may_hold)
    except TimeoutError:
        return [too_long(task_id)]
    return [
        FlowProblem(
            task_id,
            f"a change to what is paid made here can reach {element!r} without a "
            "county_approver task: route decisions with changes_money to the county "
            "(县级审批) first",
            code="flow-money-without-county",
            params={"element": task_id, "target": element},
        )
        for element in sorted(payouts(flow) & reached)
    ]
