"""What an uploaded BPMN document may contain, read from its XML before SpiffWorkflow builds it.

Approval chains need user, manual, script and business rule tasks, gateways, timers and
embedded subprocesses. Everything else SpiffWorkflow could run (service tasks that call out,
messages, signals, call activities, loops) is refused by name: an element nobody reviewed for
this service is not run by it.
"""

from __future__ import annotations

from lxml import etree

from service.engine.errors import FlowProblem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

_UNSUPPORTED: dict[str, str] = {
    "serviceTask": "service tasks",
    "sendTask": "send tasks",
    "receiveTask": "receive tasks",
    "callActivity": "call activities",
    "transaction": "transactions",
    "adHocSubProcess": "ad-hoc subprocesses",
    "complexGateway": "complex gateways",
    "messageEventDefinition": "message events",
    "signalEventDefinition": "signal events",
    "conditionalEventDefinition": "conditional events",
    "escalationEventDefinition": "escalation events",
    "errorEventDefinition": "error events",
    "compensateEventDefinition": "compensation events",
    "linkEventDefinition": "link events",
    "cancelEventDefinition": "cancel events",
    "multiInstanceLoopCharacteristics": "multi-instance loops",
    "standardLoopCharacteristics": "loops",
    "dataStoreReference": "data stores",
}
# Parts of an element rather than elements of their own: a refusal names the owner.
_PARTS = {
    "messageEventDefinition",
    "signalEventDefinition",
    "conditionalEventDefinition",
    "escalationEventDefinition",
    "errorEventDefinition",
    "compensateEventDefinition",
    "linkEventDefinition",
    "cancelEventDefinition",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
}
SUPPORTED = (
    "relief flows use user, manual, script and business rule tasks, gateways, timers and "
    "embedded subprocesses"
)


def _owner_id(element: etree._Element, name: str) -> str | None:
    owner = element.getparent() if name in _PARTS else None
    found: str | None = (owner if owner is not None else element).get("id")
    return found


def unsupported_elements(root: etree._Element) -> list[FlowProblem]:
    problems = []
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        name = etree.QName(element).localname
        kind = _UNSUPPORTED.get(name)
        if kind is None and name == "subProcess" and element.get("triggeredByEvent") == "true":
            kind = "event subprocesses"
        if kind is not None:
            problems.append(
                FlowProblem(_owner_id(element, name), f"{kind} are not supported: {SUPPORTED}")
            )
    return problems


def lanes(root: etree._Element) -> list[tuple[str, str]]:
    """Every lane as (id, name), in document order; the name is the role the lane stands for."""
    return [
        (lane.get("id") or "", (lane.get("name") or "").strip())
        for lane in root.iter(f"{{{BPMN_NS}}}lane")
    ]
