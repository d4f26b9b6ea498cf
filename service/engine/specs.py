"""Parsing, validating and caching flow specs (one parse per flow version per process)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, ExclusiveGateway, ScriptTask, UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from service.engine.errors import InvalidFlow, UnsafeExpression
from service.engine.sandbox import compile_expression, compile_script
from service.engine.xml import parse_xml

_VALIDATOR = BpmnValidator()


@dataclass(frozen=True)
class UserTaskInfo:
    id: str
    name: str
    lane: str | None


@dataclass(frozen=True)
class ParsedFlow:
    """A validated flow: its process id, spec and the facts the service needs without Spiff."""

    key: str
    sha256: str
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: tuple[UserTaskInfo, ...]
    end_events: tuple[str, ...]


def parse_flow(content: bytes) -> ParsedFlow:
    """Parse and validate one BPMN document holding exactly one executable process."""
    root = parse_xml(content)
    parser = BpmnParser(validator=_VALIDATOR)
    try:
        parser.add_bpmn_xml(etree.ElementTree(root), filename="upload.bpmn")
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            raise InvalidFlow(
                f"a flow holds exactly one executable process, found {len(process_ids)}"
            )
        key = process_ids[0]
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except SpiffWorkflowException as error:
        raise InvalidFlow(f"invalid BPMN: {error}") from None
    _check_expressions(spec)
    user_tasks = tuple(
        UserTaskInfo(id=t.bpmn_id, name=t.bpmn_name or t.bpmn_id, lane=t.lane)
        for t in spec.task_specs.values()
        if isinstance(t, UserTask)
    )
    end_events = tuple(t.bpmn_id for t in spec.task_specs.values() if isinstance(t, EndEvent))
    return ParsedFlow(
        key=key,
        sha256=hashlib.sha256(content).hexdigest(),
        spec=spec,
        subprocess_specs=subprocess_specs,
        user_tasks=user_tasks,
        end_events=end_events,
    )


def _check_expressions(spec: Any) -> None:
    """Compile every condition and script now, so an unsafe flow never reaches a case."""
    for task_spec in spec.task_specs.values():
        try:
            if isinstance(task_spec, ExclusiveGateway):
                for condition, _target in task_spec.cond_task_specs:
                    if condition is not None:
                        compile_expression(condition.args[0])
            if isinstance(task_spec, ScriptTask):
                compile_script(task_spec.script)
        except UnsafeExpression as error:
            raise InvalidFlow(f"element {task_spec.bpmn_id}: {error.detail}") from None


class SpecCache:
    """Parsed flows by flow-version id; a version's XML never changes, so entries never go stale."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._flows: OrderedDict[int, ParsedFlow] = OrderedDict()
        self._lock = Lock()

    def get(self, version_id: int, xml: str | bytes) -> ParsedFlow:
        with self._lock:
            flow = self._flows.get(version_id)
            if flow is not None:
                self._flows.move_to_end(version_id)
                return flow
        flow = parse_flow(xml.encode() if isinstance(xml, str) else xml)
        with self._lock:
            self._flows[version_id] = flow
            while len(self._flows) > self._size:
                self._flows.popitem(last=False)
        return flow

    def cached(self, version_id: int) -> ParsedFlow | None:
        with self._lock:
            return self._flows.get(version_id)


spec_cache = SpecCache()
