"""Reading an upload's files and handing them to SpiffWorkflow's parser: the documents parsed
(hardened), the parser run, and its error said as a problem beside what the prechecks found."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from lxml import etree
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from service.engine.elements import BPMN_NS
from service.engine.errors import FlowProblem, InvalidFlow
from service.engine.parser_errors import engine_problem
from service.engine.xml import parse_xml


@contextmanager
def _in_file(name: str) -> Iterator[None]:
    """Name the file in every problem raised inside (a flow upload holds several files)."""
    try:
        yield
    except InvalidFlow as error:
        raise InvalidFlow.of([p.in_file(name) for p in error.problems]) from None


def parse_documents(
    content: bytes, decisions: Mapping[str, bytes], filename: str
) -> tuple[etree._Element, dict[str, etree._Element]]:
    problems: list[FlowProblem] = []
    roots: dict[str, etree._Element] = {}
    for name, data in {filename: content, **decisions}.items():
        try:
            with _in_file(name):
                roots[name] = parse_xml(data)
        except InvalidFlow as error:
            problems += error.problems
    if problems:
        raise InvalidFlow.of(problems)
    return roots.pop(filename), roots


def build(
    root: etree._Element,
    dmn_roots: dict[str, etree._Element],
    *,
    filename: str,
    problems: list[FlowProblem],
    schema_broken: bool,
) -> tuple[str, Any, dict[str, Any], dict[str, str]]:
    """SpiffWorkflow's spec of the flow: (process id, spec, subprocess specs, decision id →
    DMN file); a parser error is refused with ``problems`` and its own, said with its element."""
    # The prechecks validated every file against its schema, every error of it.
    parser = SpiffBpmnParser(validator=None)
    decision_files: dict[str, str] = {}
    current = filename
    try:
        for name, dmn_root in dmn_roots.items():
            current = name
            parser.add_dmn_xml(dmn_root, filename=name)
            for decision in dmn_root.iter("{*}decision"):
                decision_files[decision.get("id") or ""] = name
        current = filename
        parser.add_bpmn_xml(etree.ElementTree(root), filename=filename)
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            count = len(process_ids)
            reason = f"a flow holds exactly one executable process, found {count}"
            found = FlowProblem(None, reason, filename, code="flow-process-count")
            raise InvalidFlow.of([*problems, replace(found, params={"count": count})])
        key = process_ids[0]
        return key, parser.get_spec(key), parser.get_subprocess_specs(key), decision_files
    except InvalidFlow:
        raise
    except Exception as error:
        if problems and (schema_broken or not isinstance(error, SpiffWorkflowException)):
            raise InvalidFlow.of(problems) from None
        found = engine_problem(error).in_file(current, replace_file=True)
        # The prechecks' findings are what the engine stumbled on, said better: its own
        # error only when it names an element they do not (or when they found nothing).
        named = {p.element for p in problems if p.element}
        extra = [] if problems and (found.element is None or found.element in named) else [found]
        raise InvalidFlow.of([*problems, *extra]) from None


def take_as_executable(root: etree._Element) -> bool:
    """Whether one process is executable, or can be taken as such to find every other problem
    of a file whose only process lacks ``isExecutable="true"`` (its own problem says so)."""
    processes = list(root.iter(f"{{{BPMN_NS}}}process"))
    if any((p.get("isExecutable") or "").strip() == "true" for p in processes):
        return True
    if len(processes) != 1:
        return False
    processes[0].set("isExecutable", "true")
    return True
