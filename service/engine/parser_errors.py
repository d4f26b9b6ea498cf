"""SpiffWorkflow's parser errors in an administrator's words: the element and what to change.

The parser raises one ``ValidationException`` at its first problem, in its own words ("Time
Specification Error. …", "No start event found"). The prechecks find most of these first (so
the parser never sees them); what still reaches it is said here with the element's id.
"""

from __future__ import annotations

import re
from typing import Any

from service.engine.errors import FlowProblem
from service.engine.schema import kind_words

_CLARK = re.compile(r"\{[^}]*\}")
_DMN_ID = re.compile(r'id "([^"]+)"')
# Python's repr of an exception the parser wrapped: KeyError('x') → "KeyError: x".
_REPR = re.compile(r"^(?P<name>[A-Za-z]+)\((?P<args>.*)\)$", re.DOTALL)


def _who(tag: str, element: str | None) -> str:
    kind = kind_words(tag.split(":")[-1]) if tag else "element"
    return f"{kind} {element!r}" if element else f"the {kind}"


def engine_problem(error: Exception) -> FlowProblem:
    """One parser error as a problem naming the element (its id) and what to change."""
    message = str(error.args[0]) if error.args else str(error)
    element = getattr(error, "id", None) or None
    tag = str(getattr(error, "tag", "") or "")
    who = _who(tag, element)
    params: dict[str, Any] = {"element": element}
    if "Non-default exclusive outgoing sequence flow without condition" in message:
        code = _code(code="flow-branch-condition-missing")
        params["gateway"] = ""
        reason = (
            f"sequence flow {element!r} leaves an exclusive gateway without a condition and "
            "is not its default flow: give it a Python condition (such as decision == "
            "'approve') or make it the gateway's default flow"
        )
    elif "Time Specification" in message:
        code = _code(code="flow-timer-unreadable")
        reason = (
            f"{who}: its timer cannot be read; give the timer a timeDuration, timeDate or "
            "timeCycle holding a Python string such as 'PT72H'"
        )
    elif message.startswith("Multiple outgoing flows are not supported"):
        code = _code(code="flow-step-outgoing-many")  # found first by prechecks, as a rule
        params |= {"name": "", "kind": tag.split(":")[-1]}
        reason = (
            f"{who} has more than one outgoing sequence flow, and a step leads to one next "
            "step: put an exclusive gateway after it with a condition on each branch"
        )
    elif message.startswith("No start event found"):
        code = _code(code="flow-start-missing")
        reason = f"{who} has no start event: add one"
    elif message.startswith("Invalid Script Task"):
        code = _code(code="flow-script-missing")
        reason = f"{who} holds no script: write its Python script, or remove the task"
    elif "SubWorkflow Must contain an End event" in message:
        code = _code(code="flow-subprocess-end-missing")
        reason = f"{who} has no end event: add one inside it"
    elif "Exactly one start event is required in a SubWorkflow" in message:
        code = _code(code="flow-subprocess-start-count")
        reason = f"{who} needs exactly one start event inside it"
    elif (found := _DMN_ID.search(message)) and found.group(1) in ("", "None"):
        code = _code(code="flow-decision-unnamed")
        reason = (
            f"{who} names no decision: set its spiffworkflow:calledDecisionId to the id of "
            "the decision in an uploaded DMN file"
        )
    elif found := _DMN_ID.search(message):
        code = _code(code="flow-decision-missing")
        params["decision"] = found.group(1)
        reason = (
            f"{who} calls the decision {found.group(1)!r}, which no uploaded DMN file "
            "holds: upload the DMN file with the flow, or correct calledDecisionId"
        )
    else:
        code = _code(code="flow-engine-refused")
        detail = _plain(message)
        params["detail"] = detail
        params["kind"] = tag.split(":")[-1]
        reason = f"{who} cannot be run by the workflow engine ({detail}): correct it in a modeler"
    return FlowProblem(element, reason, code=code, params=params)


def _plain(message: str) -> str:
    """An engine message without qualified names or Python's repr of an exception."""
    text = _CLARK.sub("", message).replace(" (None)", "").strip().rstrip(".")
    found = _REPR.match(text)
    if found:
        text = f"{found.group('name')}: {found.group('args').strip(chr(39) + chr(34))}"
    return text


def _code(*, code: str) -> str:
    """A problem code named where it is chosen (tests/test_problem_codes.py reads ``code=``)."""
    return code
