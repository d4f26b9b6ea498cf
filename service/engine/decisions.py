"""DMN decision tables (eligibility), evaluated through the same sandbox as flow expressions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from threading import Lock
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

from service.config import get_settings
from service.engine.errors import FlowProblem, InvalidFlow, UnsafeExpression, engine_call
from service.engine.hit_policy import Policy, PolicyEngine, fake_task, policy_of, policy_problems
from service.engine.sandbox import RestrictedScriptEngine, compile_expression
from service.engine.xml import parse_xml


@dataclass(frozen=True)
class ParsedDecision:
    key: str
    sha256: str
    engine: Any  # SpiffWorkflow's DMN engine over the decision's first table (PolicyEngine)


def parse_decision(content: bytes) -> ParsedDecision:
    """Parse one DMN decision and check every expression in it against the sandbox."""
    root = parse_xml(content)
    parser = BpmnDmnParser(validator=BpmnValidator())
    try:
        parser.add_dmn_xml(root, filename="decision.dmn")
        if len(parser.dmn_parsers) != 1:
            raise InvalidFlow(
                f"a DMN file holds one decision, found {len(parser.dmn_parsers)}",
                code="dmn-decision-count",
                params={"count": len(parser.dmn_parsers)},
            )
        (key,) = parser.dmn_parsers
        engine = parser.get_engine(key, root)
    except SpiffWorkflowException as error:
        raise InvalidFlow(
            f"invalid DMN: {error}", code="dmn-invalid", params={"error": str(error)}
        ) from None
    table = engine.decision_table
    policy = policy_of(root, table.id)
    _check_entries(table, policy)
    return ParsedDecision(
        key=key, sha256=hashlib.sha256(content).hexdigest(), engine=PolicyEngine(table, policy)
    )


def _expressions(table: Any) -> list[tuple[str, str]]:
    """Every expression of a table: ("value", text) for input columns and outputs, ("entry",
    text) for rule entries, which the DMN engine reads as a value ("x") or a test ("> 3")."""
    found = [("value", column.expression) for column in table.inputs if column.expression]
    for rule in table.rules:
        for entry in rule.inputEntries:
            for text in entry.lhs:
                if text is None:
                    continue
                # "? < 49" is a complete test once the engine puts the input in place of "?".
                if "?" in text:
                    found.append(("value", text.replace("?", "dmninputexpr")))
                else:
                    found.append(("entry", text))
        found += [("value", output.text) for output in rule.outputEntries if output.text]
    return found


def table_problems(table: Any, policy: Policy | None = None) -> list[FlowProblem]:
    """Every expression of a decision table that the sandbox refuses, named by the table; when
    all are safe, what makes the table unusable under its hit policy (``policy``: read from
    its XML, hit_policy.py), rules that overlap under UNIQUE among them."""
    script_engine = RestrictedScriptEngine(0.1)
    problems = []
    for kind, text in _expressions(table):
        try:
            if kind == "value":
                compile_expression(text)
                continue
            try:
                script_engine.validate(text)
            except SyntaxError:
                script_engine.validate(f"v {text}")
        except UnsafeExpression as error:
            params = {**error.params, "element": table.id}
            problems.append(FlowProblem(table.id, error.detail, code=error.code, params=params))
        except SyntaxError as error:
            problems.append(
                FlowProblem(
                    table.id,
                    f"decision table {table.id!r}: syntax error in {text!r}: {error.msg}",
                    code="expression-syntax",
                    params={"element": table.id, "expression": text, "error": error.msg},
                )
            )
    if problems or policy is None:
        return problems  # never run an expression the sandbox refused
    return policy_problems(table, policy)


def _check_entries(table: Any, policy: Policy) -> None:
    problems = table_problems(table, policy)
    if problems:
        raise InvalidFlow.of(problems)


def evaluate(decision: ParsedDecision, facts: dict[str, Any]) -> dict[str, Any]:
    """The table's result under its hit policy (hit_policy.py): the outputs of the one rule
    a single-hit table selects, lists of outputs for COLLECT (or its aggregate), {} when no
    rule matches; a table breaking its policy on these facts raises DecisionDefect (422)."""
    script_engine = RestrictedScriptEngine(get_settings().expression_timeout_ms / 1000)
    task = fake_task(dict(facts), decision.key, script_engine)
    with engine_call():
        result: dict[str, Any] = decision.engine.result(task)
    return result


class DecisionCache:
    """Parsed decisions by content hash (the DMN text of a program changes only by upload)."""

    def __init__(self) -> None:
        self._decisions: dict[str, ParsedDecision] = {}
        self._lock = Lock()

    def get(self, xml: str) -> ParsedDecision:
        digest = hashlib.sha256(xml.encode()).hexdigest()
        with self._lock:
            cached = self._decisions.get(digest)
        if cached is not None:
            return cached
        decision = parse_decision(xml.encode())
        with self._lock:
            self._decisions[digest] = decision
        return decision


decision_cache = DecisionCache()
