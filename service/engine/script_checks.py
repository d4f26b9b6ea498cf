"""The Python scripts of an uploaded flow, checked on the XML before the engine parses it.

A script task's script and a ``spiffworkflow:preScript``/``postScript`` run in the sandbox; one
it refuses is said here by the line it refuses and what on that line (``import``, an f-string,
``open()``…), not by pasting the whole script with the sandbox's own message: an
administrator reads "line 10 (``"detail": f"…"``): f'…' is not allowed" and knows what to
change. The compile at upload (``expressions.py``) skips the elements reported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from service.engine.elements import BPMN_NS, SPIFF_NS
from service.engine.errors import FlowProblem, UnsafeExpression
from service.engine.sandbox import compile_expression, compile_script

# The sandbox's words for what it refuses (sandbox._REFUSED_NODES and its builtins), as the
# Python an administrator wrote: a token reads the same in Chinese and English.
_CONSTRUCTS = {
    "import": "import",
    "loops": "for / while",
    "comprehensions": "[… for … in …]",
    "try/except": "try / except",
    "function definitions": "def",
    "lambda": "lambda",
    "class definitions": "class",
    "global": "global",
    "nonlocal": "nonlocal",
    "with": "with",
    "yield": "yield",
    "await": "await",
    "raise": "raise",
    "f-strings": "f'…'",
    "the power operator **": "**",
    "string formatting with %": "%",
}
_REFUSED = re.compile(
    r"^Line (?P<line>\d+): (?P<what>.+?):? (?:is )?not allowed in flow expressions"
)
# RestrictedPython's refusal of a name reaching into Python's internals (``__class__``).
_UNDERSCORE = re.compile(
    r'^Line (?P<line>\d+): "(?P<what>[^"]+)" is an invalid (?:attribute|variable) name'
)
_LINE = re.compile(r"^Line (?P<line>\d+):")
_CALL = re.compile(r"^[A-Za-z_]\w*\(\)$")
_SHOWN = 80  # characters of a script line quoted in a refusal


def scripts(root: etree._Element) -> Iterator[tuple[str, str, str]]:
    """(element id, which script, source) of every Python script the engine would run."""
    for task in root.iter(f"{{{BPMN_NS}}}scriptTask"):
        script = next(task.iter(f"{{{BPMN_NS}}}script"), None)
        if script is not None and script.text and script.text.strip():
            yield task.get("id") or "", "script", script.text
    for name in ("preScript", "postScript"):
        for node in root.iter(f"{{{SPIFF_NS}}}{name}"):
            extensions = node.getparent()
            owner = extensions.getparent() if extensions is not None else None
            if owner is not None and node.text and node.text.strip():
                yield owner.get("id") or "", name, node.text


def script_problems(root: etree._Element, foreign: set[str]) -> list[FlowProblem]:
    """Each script the sandbox refuses, by element, line and what (scripts of another
    language, ``foreign``, are refused as such elsewhere)."""
    problems = []
    for element, which, source in scripts(root):
        if not element or element in foreign:
            continue
        try:
            compile_script(source)
        except UnsafeExpression as error:
            problems.append(_problem(element, which, source, error))
    return problems


def refused_scripts(root: etree._Element, foreign: set[str]) -> set[str]:
    """The elements whose scripts ``script_problems`` reports (not compiled again)."""
    return {problem.element for problem in script_problems(root, foreign) if problem.element}


def _problem(element: str, which: str, source: str, error: UnsafeExpression) -> FlowProblem:
    messages = [str(m) for m in error.params.get("errors") or [error.params.get("error", "")]]
    # The sandbox may say one thing twice (RestrictedPython's "Exec calls are not allowed."
    # and ours, "exec() is not allowed"): the first message that names what is refused wins.
    refused = _first(_REFUSED, messages) or _first(_UNDERSCORE, messages)
    numbered = refused or _first(_LINE, messages)
    line = int(numbered.group("line")) if numbered else 1
    shown = _line_of(source, line)
    where = f"{_WHICH[which]} of {element!r}, line {line} ({shown})"
    what = refused.group("what") if refused else ""
    construct = _CONSTRUCTS.get(what) or (what if _CALL.match(what) or what.startswith("_") else "")
    if construct:
        return FlowProblem(
            element,
            f"{where}: {construct} is not allowed in flow scripts; write plain Python "
            "statements and the functions flows allow, or remove it",
            code="flow-script-refused",
            params={"element": element, "line": line, "source": shown, "construct": construct},
        )
    return FlowProblem(
        element,
        f"{where} is not valid Python (a syntax error); correct it",
        code="flow-script-invalid",
        params={"element": element, "line": line, "source": shown},
    )


def condition_problem(element: str | None, kind: str, source: str) -> FlowProblem | None:
    """A condition the sandbox refuses, said on the flow that carries it (where the modeler
    edits it), by what on it is refused or with the comparison to write instead. The engine
    compiles conditions on the gateway, and its words were RestrictedPython's ("Line 1:
    SyntaxError: invalid syntax at statement …")."""
    text = source.strip()
    if not text:
        return None
    try:
        compile_expression(text)
    except UnsafeExpression as error:
        messages = [str(m) for m in error.params.get("errors") or [error.detail]]
        refused = _first(_REFUSED, messages) or _first(_UNDERSCORE, messages)
        what = refused.group("what") if refused else ""
        construct = _CONSTRUCTS.get(what) or (
            what if _CALL.match(what) or what.startswith("_") else ""
        )
        shown = _line_of(text, 1)
        where = f"the condition of {kind} {element!r} ({shown})"
        if construct:
            return FlowProblem(
                element,
                f"{where}: {construct} is not allowed in conditions; compare what the task "
                "decided, such as decision == 'approve'",
                code="flow-condition-refused",
                params={"element": element, "source": shown, "construct": construct},
            )
        suggested = _compared(text)
        return FlowProblem(
            element,
            f"{where} is not a Python condition (a syntax error); write a comparison such as "
            f"{suggested}",
            code="flow-condition-invalid",
            params={"element": element, "source": shown, "suggested": suggested},
        )
    return None


def _compared(text: str) -> str:
    """``decision = 'x'`` as the comparison its writer meant, when that compiles; else an
    example."""
    meant = re.sub(r"(?<![=!<>])=(?!=)", "==", text)
    if meant != text:
        try:
            compile_expression(meant)
        except UnsafeExpression:
            pass
        else:
            return meant
    return "decision == 'approve'"


def _first(pattern: re.Pattern[str], messages: list[str]) -> re.Match[str] | None:
    return next((found for found in map(pattern.match, messages) if found), None)


_WHICH = {"script": "the script", "preScript": "the pre-script", "postScript": "the post-script"}


def _line_of(source: str, line: int) -> str:
    lines = source.splitlines() or [source]
    text = lines[min(max(line, 1), len(lines)) - 1].strip() or source.strip().splitlines()[0]
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
