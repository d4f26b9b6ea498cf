"""A flow version's structure, read from its XML alone (lxml, no SpiffWorkflow): what a version
diff compares (service/flows/diff.py).

Every flow element of the executable process and its subprocesses (id, type, Chinese and
English names, the lane's role), every sequence flow (source, target, condition, default or
not), and what the service reads off elements: a user task's decisions (``decision.*``), its
fields (``field.*``) and its deadline (the expression of a timer on its boundary; none: the
catalogue's ``time_limits`` apply), an end event's status. Names follow the naming convention
of service/engine/names.py.

Who acts and how a case ends follow the service's conventions (service/engine/conventions.py):
a human task's role from ``candidateGroups``, a ``role`` property or its lane, another
element's from its lane (a ``role`` property or the lane's name); an end event's status from a
``status`` property, an ``end_<status>`` id or its name (none for an escalation's end 督办, or
an end inside a subprocess).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from service.engine.conventions import end_status, lane_role, properties, task_role
from service.engine.elements import BPMN_NS
from service.engine.fields import declared_fields
from service.engine.names import DecisionOption, declared_decisions, element_names
from service.engine.xml import parse_xml

# Flow nodes: what a diagram draws as a shape and a token passes through.
NODE_TYPES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "businessRuleTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
USER_TASKS = frozenset({"userTask", "manualTask"})
_TIMER_PARTS = ("timeDate", "timeDuration", "timeCycle")


@dataclass(frozen=True)
class Element:
    """One flow node. ``deadline`` is meaningful for user tasks only: the expression of the
    timer on its boundary, or None where the catalogue's default applies."""

    id: str
    type: str  # the BPMN element's local name: userTask, exclusiveGateway, endEvent…
    name: str  # Chinese
    name_en: str
    lane: str | None  # the role code of its lane
    decisions: tuple[DecisionOption, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)  # name → declaration
    deadline: str | None = None
    status: str | None = None  # end events
    attached_to: str | None = None  # boundary events
    parent: str | None = None  # the subprocess it is in

    @property
    def is_user_task(self) -> bool:
        return self.type in USER_TASKS


@dataclass(frozen=True)
class SequenceFlow:
    id: str
    source: str
    target: str
    condition: str | None  # the Python expression, as written
    default: bool  # its gateway's (or task's) default flow
    name: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Structure:
    key: str
    elements: dict[str, Element]  # by id, in document order
    flows: dict[str, SequenceFlow]  # by id, in document order
    lanes: tuple[str, ...]  # role codes, in document order

    def outgoing(self, element: str) -> list[SequenceFlow]:
        return [flow for flow in self.flows.values() if flow.source == element]


def _tag(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _process(root: etree._Element) -> etree._Element | None:
    processes = list(root.iter(_tag("process")))
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    return (executable or processes or [None])[0]


def _lanes_of(process: etree._Element) -> tuple[dict[str, str], tuple[str, ...]]:
    """Element id → the role of the innermost lane holding it; the lanes' roles in order."""
    by_element: dict[str, str] = {}
    roles: list[str] = []
    for lane in process.iter(_tag("lane")):  # outer lanes before the lanes they hold
        role = lane_role(lane)
        if role and role not in roles:
            roles.append(role)
        for ref in lane.iterfind(_tag("flowNodeRef")):
            if ref.text and role:
                by_element[ref.text.strip()] = role
    return by_element, tuple(roles)


def _timers(process: etree._Element) -> dict[str, list[str]]:
    """Task id → the expressions of the timers on its boundary."""
    found: dict[str, list[str]] = {}
    for event in process.iter(_tag("boundaryEvent")):
        for definition in event.iterfind(_tag("timerEventDefinition")):
            for part in _TIMER_PARTS:
                for value in definition.iterfind(_tag(part)):
                    text = " ".join((value.text or "").split())
                    if text:
                        found.setdefault(event.get("attachedToRef") or "", []).append(text)
    return found


def _element(
    node: etree._Element, local: str, *, lane: str | None, parent: str | None, timers: list[str]
) -> Element:
    element_id = node.get("id") or ""
    props = properties(node)
    zh, en = element_names(node.get("name"), props)
    user_task = local in USER_TASKS
    decisions: tuple[DecisionOption, ...] = ()
    declared: dict[str, str] = {}
    if user_task:
        decisions = declared_decisions(props)[0]
        declared = {spec.name: spec.describe() for spec in declared_fields(props)[0]}
    return Element(
        id=element_id,
        type=local,
        name=zh,
        name_en=en or zh,
        lane=(task_role(node)[0] or lane) if user_task else lane,
        decisions=decisions,
        fields=declared,
        deadline=("; ".join(timers) or None) if user_task else None,
        status=end_status(element_id, node.get("name"), props)
        if local == "endEvent" and parent is None
        else None,
        attached_to=node.get("attachedToRef") if local == "boundaryEvent" else None,
        parent=parent,
    )


def _flow(node: etree._Element, defaults: set[str]) -> SequenceFlow:
    flow_id = node.get("id") or ""
    condition = node.find(_tag("conditionExpression"))
    text = " ".join((condition.text or "").split()) if condition is not None else ""
    zh, en = element_names(node.get("name"), properties(node))
    return SequenceFlow(
        id=flow_id,
        source=node.get("sourceRef") or "",
        target=node.get("targetRef") or "",
        condition=text or None,
        default=flow_id in defaults,
        name=zh,
        name_en=en or zh,
    )


def read_structure(content: bytes) -> Structure:
    """The structure of a flow's BPMN (the executable process, else the first one); a file
    that is no BPMN reads as an empty structure. Raises InvalidFlow for XML that is not
    well-formed or DTD-shaped (service/engine/xml.py)."""
    root = parse_xml(content)
    process = _process(root)
    if process is None:
        return Structure(key="", elements={}, flows={}, lanes=())
    lanes, roles = _lanes_of(process)
    timers = _timers(process)
    defaults = {node.get("default") or "" for node in process.iter() if node.get("default")}
    elements: dict[str, Element] = {}
    flows: dict[str, SequenceFlow] = {}
    for node in process.iter(_tag("*")):
        local = etree.QName(node).localname
        if local == "sequenceFlow":
            flow = _flow(node, defaults)
            flows[flow.id] = flow
        elif local in NODE_TYPES and node.get("id"):
            container = node.getparent()
            parent = container.get("id") if container is not None else None
            in_subprocess = parent if parent != process.get("id") else None
            lane = lanes.get(node.get("id") or "")
            if lane is None and in_subprocess is not None:
                lane = elements[in_subprocess].lane if in_subprocess in elements else None
            found = _element(
                node,
                local,
                lane=lane,
                parent=in_subprocess,
                timers=timers.get(node.get("id") or "", []),
            )
            elements[found.id] = found
    return Structure(key=process.get("id") or "", elements=elements, flows=flows, lanes=roles)
