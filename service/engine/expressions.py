"""The Python a flow would run, compiled at upload: every condition, script and timer of its
task specs (``compile_*`` of the sandbox), so an unsafe or broken expression never reaches a
case. Expressions the prechecks refuse as another language (JUEL, JavaScript) are left to
their words and not compiled again here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins import ScriptTaskMixin

from service.engine.elements import BPMN_NS
from service.engine.errors import FlowProblem, UnsafeExpression
from service.engine.prechecks import bare_iso_timer, foreign_scripts, juel_expression
from service.engine.sandbox import compile_expression, compile_script, evaluate_constant
from service.engine.script_checks import condition_problem


def foreign_expressions(root: etree._Element) -> tuple[set[str], set[str]]:
    """(sources, elements) the prechecks refuse (another language, a condition the sandbox
    refuses): not compiled again."""
    sources = {
        (node.text or "").strip()
        for name in ("conditionExpression", "timeDuration", "timeDate", "timeCycle")
        for node in root.iter(f"{{{BPMN_NS}}}{name}")
        if juel_expression(node.text)
    }
    # Timers written as bare ISO 8601 values, said by the prechecks to need quotes.
    sources |= {
        (node.text or "").strip()
        for name in ("timeDuration", "timeDate", "timeCycle")
        for node in root.iter(f"{{{BPMN_NS}}}{name}")
        if bare_iso_timer(node.text)
    }
    # Python conditions the prechecks refused on their flows (condition_problem).
    sources |= {
        (node.text or "").strip()
        for node in root.iter(f"{{{BPMN_NS}}}conditionExpression")
        if condition_problem(None, "", node.text or "") is not None
    }
    elements = foreign_scripts(root)
    for condition in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
        owner = condition.getparent()
        if owner is not None and owner.get("id") in elements:
            sources.add((condition.text or "").strip())
    return sources, elements


def _expressions_of(task_spec: Any) -> Iterator[tuple[str, str, Any]]:
    """Every piece of Python a task spec would hand the script engine, as (mode, source,
    the timer it defines or None)."""
    for condition, _target in getattr(task_spec, "cond_task_specs", ()):
        if condition is not None:
            yield "eval", condition.args[0], None
    if isinstance(task_spec, ScriptTaskMixin) and task_spec.script:
        yield "exec", task_spec.script, None
    for name in ("prescript", "postscript"):
        script = getattr(task_spec, name, None)
        if script:
            yield "exec", script, None
    event = getattr(task_spec, "event_definition", None)
    # An event-based gateway takes over the definitions of the events behind it.
    for definition in getattr(event, "event_definitions", None) or [event]:
        if isinstance(definition, TimerEventDefinition) and definition.expression:
            yield "timer", definition.expression, definition


def expression_problems(
    specs: list[Any], skipped: tuple[set[str], set[str]] = (set(), set())
) -> list[FlowProblem]:
    """Compile every condition, script and timer now, so an unsafe flow never reaches a case
    (but those the prechecks refused as another language: ``skipped``)."""
    problems = []
    sources, elements = skipped
    for spec in specs:
        for task_spec in spec.task_specs.values():
            element = task_spec.bpmn_id or task_spec.name
            for mode, source, timer in _expressions_of(task_spec):
                if source.strip() in sources or (mode == "exec" and element in elements):
                    continue
                try:
                    if mode == "exec":
                        compile_script(source)
                    else:
                        compile_expression(source)
                    if timer is not None:
                        _check_timer(timer, source)
                except UnsafeExpression as error:
                    params = {**error.params, "element": element}
                    problems.append(
                        FlowProblem(element, error.detail, code=error.code, params=params)
                    )
    return problems


def _check_timer(event: TimerEventDefinition, source: str) -> None:
    """A timer written as a constant ("'PT72H'") must be a valid ISO 8601 value now."""
    value = evaluate_constant(source)
    if value is None:
        return  # computed from case data: checked when the timer starts
    try:
        if isinstance(event, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        elif isinstance(event, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
        elif isinstance(event, TimeDateEventDefinition):
            TimerEventDefinition.get_datetime(value)
    except Exception:  # noqa: BLE001 - any parse failure means the same thing
        raise UnsafeExpression(
            f"timer {source!r} is not an ISO 8601 duration, date or cycle "
            "(write a Python string such as 'PT72H')",
            code="timer-invalid",
            params={"timer": source},
        ) from None


def compiles(condition: str) -> bool:
    try:
        compile_expression(condition)
    except UnsafeExpression:
        return False
    return True
