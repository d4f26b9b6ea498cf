"""DMN 1.3 hit policies: which matching rules of a decision table make its result.

SpiffWorkflow's DMN engine knows UNIQUE (it returns the first match, never checking for a
second) and COLLECT (a list per output, no aggregation). We keep its rule matching
(``DMNEngine.evaluate``, the same sandboxed expressions) and decide here:

- UNIQUE: at most one rule matches; two matching is an error naming them (and refused at
  load when the rules can be shown to overlap, ``overlapping_rules``).
- FIRST: the first matching rule in table order.
- PRIORITY: the matching rule whose output values come first in the outputs' ``outputValues``
  lists (the first output decides, the next breaks a tie); a table without any is refused.
- ANY: every matching rule gives the same outputs, else an error (and refused at load).
- COLLECT: every match, as a list per output (SpiffWorkflow's shape); with ``aggregation``
  SUM, COUNT, MIN or MAX the one output's value aggregated (a table of one output only).
- RULE ORDER / OUTPUT ORDER: every match as a list per output, in rule order / in priority
  order (OUTPUT ORDER needs ``outputValues`` as PRIORITY does).

No rule matching gives ``{}`` under every policy.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from lxml import etree
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from service.engine.errors import FlowProblem
from service.engine.overlaps import overlap_problems, shown_input
from service.engine.xml import local_name
from service.errors import FlowError

POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "COUNT", "MIN", "MAX")
_ORDERED = ("PRIORITY", "OUTPUT ORDER")


@dataclass(frozen=True)
class Policy:
    """What the XML says beyond what SpiffWorkflow's parser keeps: the hit policy, the
    aggregation and each output's allowed values in order (by output name)."""

    hit_policy: str = "UNIQUE"
    aggregation: str | None = None
    output_values: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def read_policy(table: etree._Element) -> Policy:
    """The policy of a ``decisionTable`` element."""
    values: dict[str, tuple[Any, ...]] = {}
    for output in table:
        if not isinstance(output.tag, str) or local_name(output) != "output":
            continue
        text = output.findtext("{*}outputValues/{*}text")
        parsed = _literals(text) if text and text.strip() else None
        if parsed:
            values[output.get("name") or output.get("label") or ""] = parsed
    aggregation = (table.get("aggregation") or "").strip().upper() or None
    hit_policy = (table.get("hitPolicy") or "UNIQUE").strip().upper()
    return Policy(hit_policy=hit_policy, aggregation=aggregation, output_values=values)


def policy_of(root: etree._Element, table_id: str) -> Policy:
    """The policy of the decision table ``table_id`` of a DMN document (defaults if absent)."""
    for element in root.iter("{*}decisionTable"):
        if element.get("id") == table_id:
            return read_policy(element)
    return Policy()


def _literals(text: str) -> tuple[Any, ...] | None:
    """``"a", "b"`` (the allowed values, in order) as Python values; None if not literals."""
    try:
        value = ast.literal_eval(f"[{text}]")
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return tuple(value)


# --- evaluation ------------------------------------------------------------------------------


class DecisionDefect(FlowError):
    """The table broke its own hit policy on this input (two UNIQUE rules, disagreeing ANY)."""


def fake_task(data: dict[str, Any], key: str, script_engine: Any) -> Any:
    """What the DMN engine reads of a task: its data, its workflow's script engine, and what
    its error reports read (the spec's id and file, the workflow it belongs to)."""
    workflow = SimpleNamespace(
        script_engine=script_engine, data_objects={}, spec=SimpleNamespace(file=key)
    )
    workflow.top_workflow = workflow
    return SimpleNamespace(
        data=data, task_spec=SimpleNamespace(bpmn_id=key, bpmn_name=key), workflow=workflow
    )


def matching_rules(engine: DMNEngine, task: Any, *, first_only: bool = False) -> list[Any]:
    """Every rule of the table whose input entries all hold, in table order (only the first
    with ``first_only``: the later rules are not evaluated)."""
    found = []
    for rule in engine.decision_table.rules:
        if _holds(engine, rule, task):
            found.append(rule)
            if first_only:
                break
    return found


def _holds(engine: DMNEngine, rule: Any, task: Any) -> bool:
    for entry in rule.inputEntries:
        for test in entry.lhs:
            if test is None:
                continue  # "-": any value
            column = entry.input
            value = column.expression or repr(task.data[column.label])
            if not engine.evaluate(value, test, task):
                return False
    return True


def result(engine: DMNEngine, task: Any, policy: Policy) -> dict[str, Any]:
    """The table's result on the task's data under ``policy``."""
    table = engine.decision_table
    rules = matching_rules(engine, task, first_only=policy.hit_policy == "FIRST")
    if not rules:
        return {}
    outputs: list[dict[str, Any]] = [dict(rule.output_as_dict(task)) for rule in rules]
    hit = policy.hit_policy
    if hit == "UNIQUE" and len(rules) > 1:
        raise _defect(table, rules, task, code="dmn-rules-overlap", what="matches several rules")
    if hit == "ANY" and any(out != outputs[0] for out in outputs):
        raise _defect(
            table, rules, task, code="dmn-rules-disagree", what="matches rules that disagree"
        )
    if hit in ("UNIQUE", "FIRST", "ANY"):
        return outputs[0]
    if hit in _ORDERED:
        outputs = sorted(outputs, key=lambda out: _rank(out, policy))  # stable: ties in order
        if hit == "PRIORITY":
            return outputs[0]
    collected: dict[str, Any] = {}
    for out in outputs:
        for name, value in out.items():
            collected.setdefault(name, []).append(value)
    if hit == "COLLECT" and policy.aggregation:
        return {name: _aggregate(policy.aggregation, v) for name, v in collected.items()}
    return collected


def _rank(outputs: dict[str, Any], policy: Policy) -> tuple[int, ...]:
    """A match's place by its output values: the position of each value in its output's
    allowed values (the outputs in table order; a value not listed comes last)."""
    return tuple(
        values.index(outputs.get(name)) if outputs.get(name) in values else len(values)
        for name, values in policy.output_values.items()
    )


def _aggregate(aggregation: str, values: list[Any]) -> Any:
    if aggregation == "COUNT":
        return len(values)
    if aggregation == "SUM":
        return sum(values)
    return min(values) if aggregation == "MIN" else max(values)


def _defect(table: Any, rules: list[Any], task: Any, *, code: str, what: str) -> DecisionDefect:
    ids = [rule.id for rule in rules]
    shown = shown_input(table, [_input_value(column, task) for column in table.inputs])
    return DecisionDefect(
        f"decision table {table.id!r} ({table.hit_policy}) {what}: {', '.join(ids)} on {shown}",
        code=code,
        params={"element": table.id, "rules": ids, "input": shown},
    )


def _input_value(column: Any, task: Any) -> Any:
    name = (column.expression or "").strip()
    return task.data.get(name) if name.isidentifier() else None


class PolicyEngine(DMNEngine):
    """SpiffWorkflow's engine honouring the table's hit policy: what a flow's business rule
    task calls."""

    def __init__(self, decision_table: Any, policy: Policy) -> None:
        super().__init__(decision_table)
        self.policy = policy

    def result(self, task: Any) -> dict[str, Any]:
        return result(self, task, self.policy)


# --- checks at load ----------------------------------------------------------------------------


def policy_problems(table: Any, policy: Policy) -> list[FlowProblem]:
    """What makes the table unusable under its policy, found without an input: an unknown
    policy or aggregation, an ordered policy without ``outputValues``, UNIQUE rules that
    overlap, ANY rules that overlap and disagree."""
    hit, where = policy.hit_policy, table.id
    if hit not in POLICIES:  # the DMN schema lists the policies: refused before this
        reason = f"decision table {where!r}: unknown hit policy {hit!r}"
        return [FlowProblem(where, reason, code="dmn-invalid", params={"error": reason})]
    problems = []
    if policy.aggregation and (
        hit != "COLLECT" or policy.aggregation not in AGGREGATIONS or len(table.outputs) != 1
    ):
        problems.append(
            FlowProblem(
                where,
                f"decision table {where!r}: the aggregation {policy.aggregation} needs the hit "
                "policy COLLECT and exactly one output (SUM, COUNT, MIN or MAX)",
                code="dmn-aggregation-invalid",
                params={"element": where, "aggregation": policy.aggregation},
            )
        )
    if hit in _ORDERED and not policy.output_values:
        problems.append(
            FlowProblem(
                where,
                f"decision table {where!r}: the hit policy {hit} orders matches by the "
                "outputs' allowed values (outputValues), and no output declares them",
                code="dmn-priority-unordered",
                params={"element": where, "policy": hit},
            )
        )
    if hit in ("UNIQUE", "ANY"):
        problems += overlap_problems(table, any_policy=hit == "ANY")
    return problems
