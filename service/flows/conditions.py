"""Running a gateway's conditions at upload: which branch a decision takes.

The service's rules (routing.py, data_rules.py) run each condition in the sandbox with what the
service sets at every completion (``decision``, ``changes_money``), within one time budget.
"""

from __future__ import annotations

import time

from service.engine import ExpressionTimeout, FlowProblem, evaluate_condition

DECISIONS = ("approve", "reject", "return")

# Conditions are run (sandboxed) to see which decision takes which branch. Each run is short;
# this bounds all of them together, so a file of thousands of gateways cannot hold a worker.
CHECK_BUDGET_S = 2.0


def holds(condition: str, decision: str, deadline: float, *, changes_money: bool) -> bool | None:
    """Whether ``condition`` holds after a task completed with ``decision`` (the service sets
    ``changes_money`` at every completion); None when that depends on more than these (it
    reads other variables, or fails on these values)."""
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
        return None


def takes_a_branch(
    condition: str, decision: str, deadline: float, *, changes_money: bool, unknown: bool = False
) -> bool:
    """``holds``, with ``unknown`` standing for a condition that reads other variables."""
    held = holds(condition, decision, deadline, changes_money=changes_money)
    return unknown if held is None else held


def too_long(element: str) -> FlowProblem:
    return FlowProblem(
        element,
        f"checking the conditions and paths after {element!r} took over "
        f"{CHECK_BUDGET_S:.0f} s: simplify its conditions",
        code="flow-check-too-long",
        params={"element": element, "seconds": int(CHECK_BUDGET_S)},
    )
