"""Whether a flow refusal's reason is clear to an administrator (issue 21 §2).

One function, ``unclear(problem)``, holds the rules; the validator's tests and the public
corpus test (tests/flows/public) both use it. A problem is one entry of a refusal's
``errors[]`` (``{"element", "file", "reason", "code", "params"}``) or a ``FlowProblem``.

A reason is clear when:

- it has a registered ``code`` and the ``params`` its message needs (the console says it in
  Chinese from those);
- it names the element (``element`` is not null) whenever it speaks of an element of the
  diagram (a task, gateway, event, lane, flow, condition, script, timer, attribute…);
- it never shows ``None``, Python object text (``<Element … at 0x7f…>``), an empty type name
  (``…for tasks of type .``), a qualified XML name (``{http://…}callActivity``) or a raw
  schema/engine message (``Element 'callActivity', attribute …``, ``Time Specification
  Error``) — the validator turns those into words with the element and what to change;
- ``isExecutable`` says to set ``isExecutable="true"``; a ``${…}``/``#{…}`` expression or a
  JavaScript/Groovy script says that expressions and scripts are Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from service.http import codes

# Words that mean the reason is about one element of the diagram.
_ELEMENT_WORDS = re.compile(
    r"\b(task|gateway|event|lane|sequence flow|subprocess|sub-process|condition|script|"
    r"timer|attribute|boundary|pool|participant|data object|the element)s?\b",
    re.IGNORECASE,
)
# Raw messages of the schema validator (libxml2), lxml and SpiffWorkflow.
_RAW = (
    re.compile(r"Element '[^']*'(, attribute '[^']*')?:"),  # libxml2's XSD messages
    re.compile(r"\{https?://[^}]*\}"),  # a qualified name in Clark notation
    re.compile(r"Time Specification Error", re.IGNORECASE),
    re.compile(r"\bValidation ?Error\b"),
    re.compile(r"\bValidationException\b"),
    re.compile(r"\bWorkflowException\b|\bSpiffWorkflowException\b"),
    re.compile(r"\bTraceback\b"),
    re.compile(r"\bXMLSyntaxError\b"),
    re.compile(r"\bNoneType\b"),
    re.compile(r"\bKeyError\b|\bAttributeError\b|\bTypeError\b|\bValueError\b"),
    re.compile(r"is not a valid value of the (atomic|union|list) type"),
    re.compile(r"This element is not expected"),
    re.compile(r"No matching global (element )?declaration available"),
    re.compile(r"\bbpmn_id\b|\btask_spec\b|\bwf_spec\b"),
)
_NONE = re.compile(r"\bNone\b")
_OBJECT = re.compile(r"<[A-Za-z_][\w.]* [^>]*\bat 0x[0-9a-fA-F]+>|\bat 0x[0-9a-fA-F]{6,}")
_BLANK_TYPE = re.compile(r"of type\s*(?:''|\"\")?\s*(?:[.,;:)]|$)|type ''|type \"\"")
_CAMUNDA = re.compile(r"[$#]\{")


def _fields(problem: Any) -> tuple[str | None, str, str | None, Mapping[str, Any] | None]:
    if isinstance(problem, Mapping):
        return (
            problem.get("element"),
            str(problem.get("reason") or ""),
            problem.get("code"),
            problem.get("params"),
        )
    return (
        getattr(problem, "element", None),
        str(getattr(problem, "reason", "") or ""),
        getattr(problem, "code", None),
        getattr(problem, "params", None),
    )


def _code_problem(code: str | None, params: Mapping[str, Any] | None) -> str | None:
    if not code:
        return "no code"
    if code not in codes.CODES:
        return f"code {code!r} is not registered in service/http/codes.py"
    missing = [name for name in codes.CODES[code].params if name not in (params or {})]
    if missing:
        return f"params {missing} of code {code!r} are missing"
    return None


def _text_problem(reason: str) -> str | None:
    if not reason.strip():
        return "the reason is empty"
    if _NONE.search(reason):
        return "shows None"
    if _OBJECT.search(reason):
        return "shows Python object text"
    if _BLANK_TYPE.search(reason):
        return "names an empty type"
    for raw in _RAW:
        if raw.search(reason):
            return f"shows a raw schema or engine message ({raw.pattern})"
    return None


def _advice_problem(reason: str) -> str | None:
    if "isExecutable" in reason and 'isExecutable="true"' not in reason:
        return 'speaks of isExecutable without saying to set isExecutable="true"'
    if _CAMUNDA.search(reason) and "Python" not in reason:
        return "shows a ${…} expression without saying expressions are Python"
    lowered = reason.lower()
    if ("javascript" in lowered or "groovy" in lowered) and "Python" not in reason:
        return "speaks of a JavaScript/Groovy script without saying scripts are Python"
    return None


def unclear(problem: Any) -> str | None:
    """Why ``problem``'s reason is not clear to an administrator; None when it is."""
    element, reason, code, params = _fields(problem)
    found = _text_problem(reason) or _code_problem(code, params) or _advice_problem(reason)
    if found:
        return found
    if element is None and _ELEMENT_WORDS.search(reason):
        return "speaks of an element but names none"
    if element is not None and not str(element).strip():
        return "the element is blank"
    return None


def unclear_all(problems: list[Any]) -> list[tuple[Any, str]]:
    """Each unclear problem of a refusal, with why."""
    found = []
    for problem in problems:
        why = unclear(problem)
        if why is not None:
            found.append((problem, why))
    return found
