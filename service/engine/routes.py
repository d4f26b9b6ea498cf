"""Where each branch of an exclusive gateway leads, in the order the engine tries them.

SpiffWorkflow takes the first branch, in the order they are drawn, whose condition holds, and
the default flow only when none does. The service's routing rules (service/flows/routing.py)
run the conditions as that order reads them, so a condition written ``decision != 'reject'``
before the branch for 'return' is seen to take 'return' too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.engine.specs import ParsedFlow


@dataclass(frozen=True)
class Branch:
    target: str  # the BPMN id of the element the branch leads to
    condition: str | None  # None: the gateway's default flow


def _bpmn_target(spec: Any, name: str) -> str:
    """The BPMN id of the element a branch reaches, through the engine's own joins and the
    wrapper it puts around a task with boundary events."""
    task_spec, seen = spec.task_specs[name], set()
    while not task_spec.bpmn_id and task_spec.outputs and task_spec.name not in seen:
        seen.add(task_spec.name)
        task_spec = task_spec.outputs[0]
    return str(task_spec.bpmn_id or task_spec.name)


def gateway_branches(flow: ParsedFlow) -> dict[str, tuple[Branch, ...]]:
    """Each exclusive gateway's branches: its conditions in the engine's order, then its
    default flow (if any)."""
    found: dict[str, tuple[Branch, ...]] = {}
    for spec in flow.all_specs():
        for task_spec in spec.task_specs.values():
            if type(task_spec).__name__ != "ExclusiveGateway" or not task_spec.bpmn_id:
                continue
            branches = [
                Branch(_bpmn_target(spec, target), condition.args[0])
                for condition, target in task_spec.cond_task_specs
                if condition is not None
            ]
            if task_spec.default_task_spec is not None:
                branches.append(Branch(_bpmn_target(spec, task_spec.default_task_spec), None))
            found[task_spec.bpmn_id] = tuple(branches)
    return found
