"""Rules of a decision table that can match the same input, found without an input.

A rule's input entries each test one column ("-", ``"x"``, ``True``, ``< 49``,
``0 <= ? < 49``, ``? in ("a", "b")``). The values that matter for a column are the literals its
entries name: each string, each number and its neighbours (n - 1, n + 1, and the midpoints
between numbers where the column is not an integer), True and False, and a string none of the
entries names. Every region of a column's values that some entry tells apart holds one of
them. Each entry is evaluated once per candidate of its column (the same engine and sandbox
that evaluate the table), so two rules can match one input exactly when, in every column,
some candidate satisfies both rules' entries: no Cartesian product of the columns is needed.

An entry that reads something besides its own column (another variable) cannot be evaluated
alone: a rule with such an entry is left out of the check (the evaluation still refuses an
overlap when it happens). Tables larger than ``MAX_EVALUATIONS``, or whose evaluations take
longer than ``BUDGET_S`` in all, are not checked either.
"""

from __future__ import annotations

import ast
import time
from itertools import combinations
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from service.engine.errors import ExpressionTimeout, FlowProblem
from service.engine.sandbox import RestrictedScriptEngine

MAX_EVALUATIONS = 20_000
BUDGET_S = 2.0  # for all of a table's evaluations (a busy machine must not turn a slow
# evaluation into "no match", so one that runs out of time ends the check instead)
MAX_REPORTED = 10  # overlapping pairs named per table
NONE_OF_THESE = "(none of the listed values)"
_CANDIDATE = "dmncandidate"
_INTEGERS = {"integer", "int", "long", "short", "number:integer"}
_NUMBERS = _INTEGERS | {"number", "double", "decimal", "float"}
_BOOLEANS = {"boolean", "bool"}

Matches = frozenset[int] | None  # candidate indexes an entry matches; None: every value ("-")


def overlap_problems(table: Any, *, any_policy: bool) -> list[FlowProblem]:
    """UNIQUE: every pair of rules that can match one input. ANY: such pairs whose outputs
    differ."""
    columns = [_candidates(table, index) for index in range(len(table.inputs))]
    if len(table.rules) * sum(len(c) for c in columns) > MAX_EVALUATIONS:
        return []
    engine = DMNEngine(table)
    script_engine = RestrictedScriptEngine(BUDGET_S)
    deadline = time.monotonic() + BUDGET_S
    matches = {}
    try:
        for rule in table.rules:
            found = _rule_matches(engine, script_engine, rule, columns, deadline)
            if found is not None:
                matches[rule.id] = found
    except _OutOfTime:
        return []  # not proven: two rules matching at evaluation are still an error
    problems: list[FlowProblem] = []
    for first, second in combinations([r for r in table.rules if r.id in matches], 2):
        example = _common(matches[first.id], matches[second.id], columns)
        if example is None or (any_policy and _outputs(first) == _outputs(second)):
            continue
        problems.append(_problem(table, first, second, example, any_policy=any_policy))
        if len(problems) == MAX_REPORTED:
            break
    return problems


def shown_input(table: Any, values: list[Any]) -> str:
    """An input as people read it: ``relation='parent', certificate_holder=True``."""
    return ", ".join(
        f"{column.expression or column.label}={value!r}"
        for column, value in zip(table.inputs, values, strict=True)
    )


def _candidates(table: Any, index: int) -> list[Any]:
    column = table.inputs[index]
    kind = (column.typeRef or "").strip().lower()
    if kind in _BOOLEANS:
        return [True, False]
    named = [value for text in _texts(table, index) for value in _constants(text)]
    strings = list(dict.fromkeys(v for v in named if isinstance(v, str)))
    numbers = {
        near
        for v in named
        if isinstance(v, int | float) and not isinstance(v, bool)
        for near in (v - 1, v, v + 1)
    }
    ordered = sorted(numbers) or [0]
    if kind not in _INTEGERS:
        midpoints = ((a + b) / 2 for a, b in zip(ordered, ordered[1:], strict=False))
        ordered = sorted({*ordered, *midpoints})
    if kind in _NUMBERS:
        return list(ordered)
    if kind:  # a string (or another named type): its literals and a value none names
        return [*strings, NONE_OF_THESE]
    return [*strings, NONE_OF_THESE, *ordered, True, False]


def _texts(table: Any, index: int) -> list[str]:
    """The tests of one column, over all rules."""
    return [
        text
        for rule in table.rules
        if index < len(rule.inputEntries)
        for text in rule.inputEntries[index].lhs
        if text
    ]


def _constants(text: str | None) -> list[Any]:
    if not text:
        return []
    source = text.replace("?", _CANDIDATE)
    for attempt in (source, f"{_CANDIDATE} {source}"):
        try:
            tree = ast.parse(attempt, mode="eval")
        except SyntaxError:
            continue
        found = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
        # "-1" is a minus applied to the constant 1.
        found += [
            -node.operand.value
            for node in ast.walk(tree)
            if isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float)
        ]
        return found
    return []


class _OutOfTime(Exception):
    """The check's time budget ran out: the table is not proven either way."""


def _rule_matches(
    engine: DMNEngine, script_engine: Any, rule: Any, columns: list[list[Any]], deadline: float
) -> list[Matches] | None:
    """Per column, the candidates the rule's entry matches; None if some entry cannot be
    evaluated on its column alone."""
    found: list[Matches] = []
    for index, candidates in enumerate(columns):
        entry = rule.inputEntries[index] if index < len(rule.inputEntries) else None
        tests = [t for t in (entry.lhs if entry is not None else []) if t is not None]
        if not tests:
            found.append(None)
            continue
        hits, failures = set(), 0
        for position, value in enumerate(candidates):
            held = _holds(engine, script_engine, rule, tests, value, deadline)
            if held is None:
                failures += 1
            elif held:
                hits.add(position)
        if failures == len(candidates):
            return None
        found.append(frozenset(hits))
    return found


def _holds(
    engine: DMNEngine, script_engine: Any, rule: Any, tests: list[str], value: Any, deadline: float
) -> bool | None:
    """Whether every test holds for ``value``; None when one cannot be evaluated on it (a
    value of another type, a name besides the column's)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _OutOfTime
    script_engine.environment.timeout_s = left
    workflow = SimpleNamespace(
        script_engine=script_engine, data_objects={}, spec=SimpleNamespace(file=rule.id)
    )
    workflow.top_workflow = workflow
    task = SimpleNamespace(
        data={_CANDIDATE: value},
        task_spec=SimpleNamespace(bpmn_id=rule.id, bpmn_name=rule.id),
        workflow=workflow,
    )
    try:
        return all(engine.evaluate(_CANDIDATE, test, task) for test in tests)
    except Exception as error:  # noqa: BLE001 - whatever the entry raised on this value
        cause = getattr(error, "exception", None) or error
        if isinstance(cause, ExpressionTimeout):
            raise _OutOfTime from None
        return None


def _common(
    first: list[Matches], second: list[Matches], columns: list[list[Any]]
) -> list[Any] | None:
    """One input both rules match (a candidate per column), or None."""
    example = []
    for a, b, candidates in zip(first, second, columns, strict=True):
        if a is None and b is None:
            example.append(candidates[0])
            continue
        both = (a if b is None else b) if a is None or b is None else a & b
        if not both:
            return None
        example.append(candidates[min(both)])
    return example


def _outputs(rule: Any) -> list[Any]:
    values = []
    for entry in rule.outputEntries:
        text = (entry.text or "").strip()
        try:
            values.append(ast.literal_eval(text))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            values.append(text)
    return values


def _problem(
    table: Any, first: Any, second: Any, example: list[Any], *, any_policy: bool
) -> FlowProblem:
    shown = shown_input(table, example)
    named = "; ".join(
        f"{r.id} ({(r.description or '').strip() or 'no description'})" for r in (first, second)
    )
    if any_policy:
        reason = (
            f"decision table {table.id!r} (ANY): rules giving different outputs both match "
            f"{shown}: {named}"
        )
    else:
        reason = (
            f"decision table {table.id!r} (UNIQUE): more than one rule matches {shown}: {named}; "
            "make the rules exclusive or declare the hit policy FIRST"
        )
    return FlowProblem(
        table.id,
        reason,
        code="dmn-rules-disagree" if any_policy else "dmn-rules-overlap",
        params={"element": table.id, "rules": [first.id, second.id], "input": shown},
    )
