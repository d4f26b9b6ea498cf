"""Parsing, validating and caching flow specs (one parse per flow version per process).

``parse_flow`` turns untrusted BPMN (and the DMN decisions it calls) into a spec SpiffWorkflow
can run, or refuses it with every problem it found. It also reads off the facts the service's
own rules need (lanes, user tasks, gateways, the paths through the flow), so no other package
has to import SpiffWorkflow to check a flow.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from threading import Lock
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.mixins import SubWorkflowTaskMixin
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin

from service.engine.building import build, parse_documents, take_as_executable
from service.engine.conventions import Conventions
from service.engine.conventions import read as read_conventions
from service.engine.decisions import table_problems
from service.engine.elements import BPMN_NS, SPIFF_NS
from service.engine.errors import FlowProblem, InvalidFlow
from service.engine.expressions import compiles, expression_problems, foreign_expressions
from service.engine.fields import FieldSpec, declared_fields
from service.engine.hit_policy import Policy, PolicyEngine, read_policy
from service.engine.names import DEFAULT_DECISIONS, DecisionOption, declared_decisions, spec_names
from service.engine.prechecks import (
    dmn_problems,
    xml_problems,
)


@dataclass(frozen=True)
class UserTaskInfo:
    id: str
    name: str  # Chinese; ``name_en`` English (service/engine/names.py)
    lane: str | None
    # The data the task takes (``field.*`` properties); none declared: it takes none.
    fields: tuple[FieldSpec, ...] = ()
    name_en: str = ""
    # The decisions it offers (``decision.*`` properties); none declared: the three defaults.
    decisions: tuple[DecisionOption, ...] = DEFAULT_DECISIONS

    def offers(self, decision: str) -> bool:
        return any(option.code == decision for option in self.decisions)


@dataclass(frozen=True)
class GatewayInfo:
    """An exclusive gateway: the user tasks that lead straight into it and its branches."""

    id: str
    after: tuple[str, ...]
    conditions: tuple[str, ...]
    has_default: bool
    # Whether every condition compiles (one refused is a problem of its own already).
    readable: bool = True


@dataclass(frozen=True)
class ParsedFlow:
    """A validated flow: its process id, spec and the facts the service needs without Spiff."""

    key: str
    sha256: str
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: tuple[UserTaskInfo, ...]
    end_events: tuple[str, ...]
    lanes: tuple[tuple[str, str], ...] = ()
    gateways: tuple[GatewayInfo, ...] = ()
    decisions: tuple[str, ...] = ()
    # What was wrong with a flow parsed with strict=False (empty for any flow that runs).
    problems: tuple[FlowProblem, ...] = ()
    # Each end event of the process and the status it gives a case (None: an escalation's).
    end_statuses: tuple[tuple[str, str | None], ...] = ()
    conventions: Conventions | None = None

    def status_of(self, end: str) -> str | None:
        return dict(self.end_statuses).get(end)

    def reachable_without(self, blocked: frozenset[str]) -> set[str]:
        """The BPMN ids reachable from the start when no element in ``blocked`` is passed.

        A blocked element is reached but not gone through; a subprocess is gone through only
        if its own end is reachable that way. Boundary events count as paths, so a timer on a
        blocked task that leads elsewhere is a way around it.
        """
        found: set[str] = set()

        def walk(spec: Any, depth: int) -> bool:
            def outputs(task: Any) -> list[Any]:
                if isinstance(task, SubWorkflowTaskMixin):
                    inner = self.subprocess_specs.get(task.spec)
                    if inner is None or depth >= 16 or not walk(inner, depth + 1):
                        return []
                return list(task.outputs)

            return spec.end.name in _walk([spec.start], blocked, found, outputs)

        walk(self.spec, 0)
        return found

    def reachable_from(
        self, element: str, blocked: frozenset[str], branch_taken: Callable[[str], bool]
    ) -> set[str]:
        """The BPMN ids reachable after ``element`` without passing an element in ``blocked``,
        where an exclusive gateway takes only the branches whose condition ``branch_taken``
        says may hold (and its default when none may). Subprocesses are walked as one step."""
        starts = [
            t for s in self.all_specs() for t in s.task_specs.values() if t.bpmn_id == element
        ]
        found: set[str] = set()
        after = [output for start in starts for output in start.outputs]
        _walk(after, blocked, found, lambda task: _branches(task, branch_taken))
        return found

    def all_specs(self) -> list[Any]:
        return [self.spec, *self.subprocess_specs.values()]

    def user_task(self, element: str) -> UserTaskInfo | None:
        return next((task for task in self.user_tasks if task.id == element), None)


def _walk(
    starts: list[Any], blocked: frozenset[str], found: set[str], outputs: Callable[[Any], list[Any]]
) -> set[str]:
    """Walk the task specs from ``starts``, following ``outputs``; an element in ``blocked`` is
    reached (added to ``found``, as every BPMN element reached is) but not gone through.
    Returns the names of the specs reached."""
    stack, seen = list(starts), set()
    while stack:
        task = stack.pop()
        if task.name in seen:
            continue
        seen.add(task.name)
        if task.bpmn_id:
            found.add(task.bpmn_id)
            if task.bpmn_id in blocked:
                continue
        stack.extend(outputs(task))
    return seen


def _branches(task: Any, branch_taken: Callable[[str], bool]) -> list[Any]:
    """The outputs of ``task`` a walk follows: all, or a gateway's branches that may hold."""
    conditions = getattr(task, "cond_task_specs", None)
    if not conditions:
        return list(task.outputs)
    spec = task._wf_spec
    taken = [
        spec.task_specs[target]
        for condition, target in conditions
        if condition is None or branch_taken(condition.args[0])
    ]
    default = getattr(task, "default_task_spec", None)
    if not taken and default is not None:
        taken.append(spec.task_specs[default])
    return taken


def flow_digest(bpmn: bytes, decisions: Mapping[str, bytes] | None = None) -> str:
    """SHA-256 of a flow version: of the BPMN alone, or of the BPMN's and each DMN's hash."""
    digest = hashlib.sha256(bpmn).hexdigest()
    if not decisions:
        return digest
    parts = [digest, *sorted(hashlib.sha256(content).hexdigest() for content in decisions.values())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


# Problems after which nothing more can be learnt from SpiffWorkflow's parser.
_BLOCKING = ("flow-process-missing", "flow-process-several")

Rules = Callable[[Conventions], list[FlowProblem]]


def parse_flow(
    content: bytes,
    decisions: Mapping[str, bytes] | None = None,
    *,
    filename: str = "flow.bpmn",
    strict: bool = True,
    rules: Rules | None = None,
) -> ParsedFlow:
    """Parse and validate one BPMN document holding exactly one executable process.

    ``decisions`` maps DMN file names to their bytes: the decisions the flow's business rule
    tasks call. Every problem found is reported at once (``InvalidFlow.problems``): the XML's
    own checks (``prechecks``) and ``rules`` (the service's rules on the conventions the XML
    states: roles, end statuses) run before SpiffWorkflow's parser and are kept when it
    fails. With ``strict=False``, a flow that SpiffWorkflow could build comes back with its
    problems listed instead, so that a caller can add its own rules' findings to one report;
    such a flow must never run.
    """
    decisions = dict(decisions or {})
    root, dmn_roots = parse_documents(content, decisions, filename)
    conventions = read_conventions(root)
    skipped = foreign_expressions(root)
    problems = [p.in_file(filename) for p in xml_problems(root)]
    for name, dmn_root in dmn_roots.items():
        problems += [p.in_file(name) for p in dmn_problems(dmn_root)]
    problems += [p.in_file(filename) for p in (rules(conventions) if rules else [])]
    if any(p.code in _BLOCKING for p in problems) or not take_as_executable(root):
        raise InvalidFlow.of(problems)
    # The engine is given a file it would otherwise refuse at the first schema error, to find
    # the problems behind it too; whatever it then stumbles on, the schema's words explain.
    schema_broken = any(
        p.code.startswith(("flow-schema-", "dmn-")) or p.code == "flow-id-missing" for p in problems
    )
    key, spec, subprocess_specs, decision_files = build(
        root, dmn_roots, filename=filename, problems=problems, schema_broken=schema_broken
    )
    specs = [spec, *subprocess_specs.values()]
    _assign_roles(specs, conventions)
    problems += [p.in_file(filename) for p in expression_problems(specs, skipped)]
    user_tasks = []
    for task_spec in (t for s in specs for t in s.task_specs.values() if t.manual and t.bpmn_id):
        properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
        fields, unreadable = declared_fields(properties)
        options, undecided = declared_decisions(properties)
        problems += [_declaration_problem(task_spec.bpmn_id, r, filename) for r in unreadable]
        problems += [
            _declaration_problem(
                task_spec.bpmn_id, f"user task {task_spec.bpmn_id!r}: {r}", filename
            )
            for r in undecided
        ]
        zh, en = spec_names(task_spec)
        user_tasks.append(UserTaskInfo(task_spec.bpmn_id, zh, task_spec.lane, fields, en, options))
    _honour_hit_policies(specs, dmn_roots)
    called = _called_decisions(root, specs)
    for decision_id, engine in called.items():
        decision_file = decision_files.get(decision_id, filename)
        found = table_problems(engine.decision_table, engine.policy)
        problems += [p.in_file(decision_file) for p in found]
    problems += [
        FlowProblem(
            decision_id,
            "no business rule task of the flow calls this decision",
            name,
            code="flow-decision-unused",
            params={"element": decision_id},
        )
        for decision_id, name in decision_files.items()
        if decision_id not in called
    ]
    if problems and strict:
        raise InvalidFlow.of(problems)
    ends = tuple(t.bpmn_id for t in spec.task_specs.values() if isinstance(t, EndEvent))
    return ParsedFlow(
        key=key,
        sha256=flow_digest(content, decisions),
        spec=spec,
        subprocess_specs=subprocess_specs,
        user_tasks=tuple(user_tasks),
        # Ends of the process itself; a subprocess's end only hands back to its parent.
        end_events=ends,
        # Each lane as (id, the role it stands for: its role property or its name).
        lanes=tuple((lane.id, lane.role) for lane in conventions.lanes),
        gateways=tuple(_gateways(specs)),
        decisions=tuple(sorted(called)),
        problems=tuple(problems),
        end_statuses=tuple((end, conventions.status_of(end)) for end in ends),
        conventions=conventions,
    )


def _declaration_problem(element: str, reason: str, filename: str) -> FlowProblem:
    """A ``field.*`` or ``decision.*`` property a task declares that cannot be read."""
    found = re.search(r"(?:property|field) '([^']+)'", reason)
    name = found.group(1) if found else ""
    if reason.startswith("field") and name and not name.startswith("field."):
        name = f"field.{name}"
    return FlowProblem(
        element,
        reason,
        filename,
        code="flow-declaration-unreadable",
        params={"element": element, "property": name},
    )


def _assign_roles(specs: list[Any], conventions: Conventions) -> None:
    """Who acts on each human task, by the conventions (a candidate group, a ``role``
    property, the lane's role): SpiffWorkflow's ``lane`` is what the service reads as the
    task's role everywhere (ready tasks, completion, the rules)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if task_spec.manual and task_spec.bpmn_id:
                task_spec.lane = conventions.role_of(task_spec.bpmn_id)


def _honour_hit_policies(specs: list[Any], dmn_roots: Mapping[str, etree._Element]) -> None:
    """Every business rule task evaluates its table under the table's hit policy, read from
    the DMN (SpiffWorkflow's own engine takes the first match and ignores the rest)."""
    policies = {
        table.get("id"): read_policy(table)
        for dmn_root in dmn_roots.values()
        for table in dmn_root.iter("{*}decisionTable")
    }
    for spec in specs:
        for task_spec in spec.task_specs.values():
            engine = getattr(task_spec, "dmnEngine", None)
            if isinstance(task_spec, BusinessRuleTaskMixin) and engine is not None:
                table = engine.decision_table
                policy = policies.get(table.id) or Policy(hit_policy=table.hit_policy)
                task_spec.dmnEngine = PolicyEngine(table, policy)


def _called_decisions(root: etree._Element, specs: list[Any]) -> dict[str, Any]:
    """Decision id → the DMN engine of each business rule task that calls it."""
    refs = {}
    for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        ref = task.find(f".//{{{SPIFF_NS}}}calledDecisionId")
        if ref is not None and ref.text:
            refs[task.get("id")] = ref.text.strip()
    return {
        refs[t.bpmn_id]: t.dmnEngine
        for s in specs
        for t in s.task_specs.values()
        if isinstance(t, BusinessRuleTaskMixin) and t.bpmn_id in refs
    }


def _gateways(specs: list[Any]) -> Iterator[GatewayInfo]:
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if type(task_spec).__name__ != "ExclusiveGateway" or not task_spec.bpmn_id:
                continue
            conditions = tuple(
                c.args[0] for c, _target in task_spec.cond_task_specs if c is not None
            )
            yield GatewayInfo(
                id=task_spec.bpmn_id,
                after=tuple(sorted(_user_tasks_before(task_spec))),
                conditions=conditions,
                has_default=task_spec.default_task_spec is not None,
                readable=all(compiles(condition) for condition in conditions),
            )


def _user_tasks_before(task_spec: Any) -> set[str]:
    """User tasks leading straight into ``task_spec``, looking through the engine's own
    joins (a task with boundary events reaches its successor through one)."""
    found: set[str] = set()
    pending, seen = list(task_spec.inputs), set()
    while pending:
        before = pending.pop()
        if before.name in seen:
            continue
        seen.add(before.name)
        if before.manual and before.bpmn_id:
            found.add(before.bpmn_id)
        elif not before.bpmn_id or "Boundary" in type(before).__name__:
            pending.extend(before.inputs)
    return found


class SpecCache:
    """Parsed flows by flow-version id; a version's XML never changes, so entries never go stale."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._flows: OrderedDict[int, ParsedFlow] = OrderedDict()
        self._lock = Lock()

    def get(
        self, version_id: int, xml: str | bytes, decisions: Mapping[str, str] | None = None
    ) -> ParsedFlow:
        with self._lock:
            flow = self._flows.get(version_id)
            if flow is not None:
                self._flows.move_to_end(version_id)
                return flow
        flow = parse_flow(
            xml.encode() if isinstance(xml, str) else xml,
            {name: text.encode() for name, text in (decisions or {}).items()},
        )
        self.put(version_id, flow)
        return flow

    def put(self, version_id: int, flow: ParsedFlow) -> None:
        with self._lock:
            self._flows[version_id] = flow
            while len(self._flows) > self._size:
                self._flows.popitem(last=False)

    def cached(self, version_id: int) -> ParsedFlow | None:
        with self._lock:
            return self._flows.get(version_id)


spec_cache = SpecCache()
