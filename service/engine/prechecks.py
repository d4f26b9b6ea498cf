"""What the service checks on a BPMN file's XML before SpiffWorkflow's parser sees it.

The parser stops at its first error; these checks read the whole document with lxml, so an
administrator learns every problem of an upload at once: elements the service does not run,
a process that is not executable, expressions written for another engine (Camunda's
``${approved}``, JavaScript), gateway branches without a condition, timers that are not
Python, and every violation of the BPMN 2.0 schema, each said with the element's id and
what to change (``schema.py``).
"""

from __future__ import annotations

import re

from lxml import etree

from service.engine.elements import BPMN_NS, unsupported_elements
from service.engine.errors import FlowProblem
from service.engine.paths import path_problems
from service.engine.schema import dmn_schema, kind_words, schema_problems
from service.engine.script_checks import condition_problem, refused_scripts, script_problems
from service.engine.xml import local_name, nearest_id

_PYTHON = frozenset({"", "python", "python3", "py", "text/x-python", "spiff", "spiffworkflow"})
# A whole expression in JUEL's delimiters: ${…} (Camunda, Flowable, Activiti) or #{…}.
_JUEL = re.compile(r"^\s*[$#]\{(?P<inner>.*)\}\s*$", re.DOTALL)
# An ISO 8601 value written bare (PT72H, P3D, R3/PT1H, 2026-01-01T00:00): Python reads a name.
_BARE_ISO = re.compile(r"^(R\d*/)?P[0-9TYMWDHS.,]+$|^\d{4}-\d\d-\d\d([T ][0-9:.+\-Z]*)?$")
_TIMERS = ("timeDuration", "timeDate", "timeCycle")


def xml_problems(root: etree._Element) -> list[FlowProblem]:
    """Every problem the XML alone shows (see the module's docstring)."""
    return [
        *unsupported_elements(root),
        *id_problems(root),
        *executable_problems(root),
        *expression_problems(root),
        *script_problems(root, _other_language(root)),
        *branch_problems(root),
        *path_problems(root),
        *schema_problems(root),
    ]


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


# Elements a flow's rules and refusals name by their id.
_IDENTIFIED = frozenset(
    {
        "process",
        "lane",
        "sequenceFlow",
        "userTask",
        "manualTask",
        "scriptTask",
        "businessRuleTask",
        "task",
        "subProcess",
        "startEvent",
        "endEvent",
        "boundaryEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
    }
)


def id_problems(root: etree._Element) -> list[FlowProblem]:
    """Every element the service's rules read has an id (what refusals and cases name)."""
    problems = []
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        local = local_name(element)
        if local not in _IDENTIFIED or (element.get("id") or "").strip():
            continue
        where = nearest_id(element.getparent())
        named = f" named {element.get('name')!r}" if element.get("name") else ""
        kind = kind_words(local)
        problems.append(
            FlowProblem(
                where,
                f"a {kind}{named} (line {element.sourceline}) inside {where!r} has no id: "
                "give it one",
                code="flow-id-missing",
                params={"element": where, "kind": local, "line": element.sourceline or 0},
            )
        )
    return problems


def executable_problems(root: etree._Element) -> list[FlowProblem]:
    """A flow is one process with ``isExecutable="true"``."""
    processes = list(root.iter(_q("process")))
    if not processes:
        return [
            FlowProblem(
                root.get("id"),
                'the file holds no process: a flow is one BPMN process with isExecutable="true"',
                code="flow-process-missing",
                params={},
            )
        ]
    executable = [p for p in processes if (p.get("isExecutable") or "").strip() == "true"]
    if not executable:
        return [_not_executable(p, root) for p in processes]
    if len(executable) > 1:
        ids = [p.get("id") or "" for p in executable]
        return [
            FlowProblem(
                process_id,
                f"processes {', '.join(ids)} are all executable; a flow runs one process: "
                'keep isExecutable="true" on one and set isExecutable="false" on the others',
                code="flow-process-several",
                params={"element": process_id, "processes": ids},
            )
            for process_id in ids
        ]
    return []


def _not_executable(process: etree._Element, root: etree._Element) -> FlowProblem:
    process_id = (process.get("id") or "").strip()
    element = process_id or root.get("id") or "definitions"
    who = f"process {process_id!r}" if process_id else f"the process (line {process.sourceline})"
    return FlowProblem(
        element,
        f'{who} is not executable: set isExecutable="true" on the process the service should '
        "run (one process per flow)",
        code="flow-process-not-executable",
        params={"element": element},
    )


def juel_to_python(expression: str) -> str:
    """A JUEL expression's body (``${…}`` without its delimiters) in Python: the operators
    renamed, strings and names kept."""
    text = expression.strip()
    for juel, python in (
        (r"&&", " and "),
        (r"\|\|", " or "),
        (r"!(?!=)", " not "),
        (r"\beq\b", "=="),
        (r"\bne\b", "!="),
        (r"\blt\b", "<"),
        (r"\bgt\b", ">"),
        (r"\ble\b", "<="),
        (r"\bge\b", ">="),
        (r"\bempty\s+", " not "),
        (r"\bnull\b", "None"),
    ):
        text = re.sub(juel, python, text)
    return " ".join(text.split())


def _juel_problem(element: str | None, kind: str, text: str) -> FlowProblem | None:
    match = _JUEL.match(text)
    if match is None:
        return None
    python = juel_to_python(match.group("inner"))
    return FlowProblem(
        element,
        f"{kind} {element!r}: {text.strip()!r} is a Camunda-style (JUEL) expression; "
        f"expressions here are Python (RestrictedPython): write {python!r}",
        code="flow-expression-juel",
        params={"element": element, "expression": text.strip(), "python": python},
    )


def juel_expression(text: str | None) -> bool:
    """Whether ``text`` is written in JUEL's delimiters (refused by ``expression_problems``)."""
    return bool(text and _JUEL.match(text))


def _language_problem(element: str | None, kind: str, language: str) -> FlowProblem:
    return FlowProblem(
        element,
        f"{kind} {element!r} is written in {language}; scripts and conditions are Python "
        "(RestrictedPython): rewrite it in Python",
        code="flow-script-language",
        params={"element": element, "language": language},
    )


def foreign_scripts(root: etree._Element) -> set[str]:
    """The ids of the elements whose scripts the prechecks refuse (written in another language,
    or Python the sandbox refuses: ``script_checks``), so they are not compiled again."""
    other = _other_language(root)
    return other | refused_scripts(root, other)


def _other_language(root: etree._Element) -> set[str]:
    """The ids of script tasks and flows whose script or condition is in another language."""
    found = set()
    for script in root.iter(_q("scriptTask")):
        if (script.get("scriptFormat") or "").strip().lower() not in _PYTHON:
            found.add(script.get("id") or "")
    for condition in root.iter(_q("conditionExpression")):
        owner = condition.getparent()
        if owner is not None and (condition.get("language") or "").strip().lower() not in _PYTHON:
            found.add(owner.get("id") or "")
    return found


def expression_problems(root: etree._Element) -> list[FlowProblem]:
    """Scripts and conditions in another language, JUEL expressions, bare ISO 8601 timers."""
    problems: list[FlowProblem] = []
    for script in root.iter(_q("scriptTask")):
        language = (script.get("scriptFormat") or "").strip()
        if language.lower() not in _PYTHON:
            problems.append(_language_problem(script.get("id"), "script task", language))
    for condition in root.iter(_q("conditionExpression")):
        owner = condition.getparent()
        element = owner.get("id") if owner is not None else None
        kind = (
            "sequence flow"
            if owner is not None and local_name(owner) == "sequenceFlow"
            else ("event")
        )
        language = (condition.get("language") or "").strip()
        if language.lower() not in _PYTHON:
            problems.append(_language_problem(element, f"the condition of {kind}", language))
            continue
        found = _juel_problem(element, kind, condition.text or "")
        found = found or condition_problem(element, kind, condition.text or "")
        if found is not None:
            problems.append(found)
    for name in _TIMERS:
        for timer in root.iter(_q(name)):
            event = _owning_event(timer)
            element = event.get("id") if event is not None else None
            text = (timer.text or "").strip()
            found = _juel_problem(element, "timer event", text)
            if found is not None:
                problems.append(found)
            elif _BARE_ISO.match(text):
                problems.append(
                    FlowProblem(
                        element,
                        f"timer event {element!r}: {text!r} would be read as Python; write the "
                        f"ISO 8601 value as a Python string: '{text}'",
                        code="flow-timer-unquoted",
                        params={"element": element, "timer": text},
                    )
                )
    return problems


def bare_iso_timer(text: str | None) -> bool:
    """A timer written as a bare ISO 8601 value (refused as ``flow-timer-unquoted``)."""
    return bool(_BARE_ISO.match((text or "").strip()))


def _owning_event(node: etree._Element) -> etree._Element | None:
    current = node.getparent()
    while current is not None and not local_name(current).endswith("Event"):
        current = current.getparent()
    return current


def branch_problems(root: etree._Element) -> list[FlowProblem]:
    """Every branch of an exclusive gateway with more than one needs a condition, but its
    default: the engine would refuse the gateway at the first such branch."""
    flows = list(root.iter(_q("sequenceFlow")))
    problems = []
    for gateway in root.iter(_q("exclusiveGateway")):
        gateway_id = gateway.get("id") or ""
        outgoing = [f for f in flows if f.get("sourceRef") == gateway_id]
        if len(outgoing) < 2:
            continue
        for flow in outgoing:
            flow_id = flow.get("id")
            if (
                not flow_id  # said by id_problems
                or flow_id == gateway.get("default")
                or flow.find(_q("conditionExpression")) is not None
            ):
                continue
            problems.append(
                FlowProblem(
                    flow_id,
                    f"sequence flow {flow_id!r} leaves gateway {gateway_id!r} without a "
                    "condition and is not its default flow: give it a Python condition (such "
                    "as decision == 'approve') or make it the gateway's default flow",
                    code="flow-branch-condition-missing",
                    params={"element": flow_id, "gateway": gateway_id},
                )
            )
    return [*problems, *_split_problems(root, flows)]


def _split_problems(root: etree._Element, flows: list[etree._Element]) -> list[FlowProblem]:
    """A step with several outgoing sequence flows (an implicit split a modeler draws by
    dragging a second arrow out of a task): the engine runs that only for gateways and start
    events, and would refuse it at the first such step in words without its kind."""
    leaving: dict[str, int] = {}
    for flow in flows:
        source = flow.get("sourceRef") or ""
        leaving[source] = leaving.get(source, 0) + 1
    problems = []
    for node in root.iter(etree.Element):  # elements only, not comments
        name = local_name(node)
        node_id = node.get("id") or ""
        if (
            leaving.get(node_id, 0) < 2
            or name.endswith("Gateway")
            or name in ("startEvent", "sequenceFlow")
        ):
            continue
        problems.append(
            FlowProblem(
                node_id,
                f"{kind_words(name)} {node_id!r} has {leaving[node_id]} outgoing sequence "
                "flows, and a step leads to one next step: to choose between ways, draw one "
                "flow from it to an exclusive gateway and a branch with a condition from the "
                "gateway to each way",
                code="flow-step-outgoing-many",
                params={
                    "element": node_id,
                    "name": (node.get("name") or "").strip(),
                    "kind": name,
                    "count": leaving[node_id],
                },
            )
        )
    return problems


# DMN elements SpiffWorkflow reads by id.
_DMN_IDENTIFIED = frozenset(
    {"decision", "decisionTable", "input", "output", "rule", "inputEntry", "outputEntry"}
)


def dmn_problems(root: etree._Element) -> list[FlowProblem]:
    """A DMN file's problems, all at once, before SpiffWorkflow reads it: its schema (the
    DMN version's), one decision with an id and a name, ids where the engine reads them."""
    where = root.get("id") or "definitions"
    schema = dmn_schema(etree.QName(root).namespace)
    problems = schema_problems(root, schema, "DMN") if schema is not None else []
    decisions = [e for e in root if isinstance(e.tag, str) and local_name(e) == "decision"]
    if len(decisions) != 1:
        problems.append(
            FlowProblem(
                where,
                f"a DMN file holds exactly one decision (a decision table), found {len(decisions)}",
                code="dmn-decision-count",
                params={"element": where, "count": len(decisions)},
            )
        )
    for decision in decisions:
        if decision.get("id") and not (decision.get("name") or "").strip():
            problems.append(
                FlowProblem(
                    decision.get("id"),
                    f"decision {decision.get('id')!r}: the attribute 'name' is required: set it",
                    code="flow-schema-attribute-missing",
                    params={"element": decision.get("id"), "tag": "decision", "attribute": "name"},
                )
            )
    named = {(p.element, p.code) for p in problems}
    for element in root.iter():
        if not isinstance(element.tag, str) or local_name(element) not in _DMN_IDENTIFIED:
            continue
        if (element.get("id") or "").strip():
            continue
        owner_id = nearest_id(element.getparent()) or where
        if (owner_id, "flow-id-missing") in named:
            continue
        named.add((owner_id, "flow-id-missing"))
        problems.append(
            FlowProblem(
                owner_id,
                f"a {kind_words(local_name(element))} (line {element.sourceline}) inside "
                f"{owner_id!r} has no id: give it one",
                code="flow-id-missing",
                params={
                    "element": owner_id,
                    "kind": local_name(element),
                    "line": element.sourceline,
                },
            )
        )
    return problems
