"""What an uploaded BPMN document may contain, read from its XML before SpiffWorkflow builds it.

Approval chains need user, manual, script and business rule tasks, gateways, timers and
embedded subprocesses, and may wait for the signals the service itself sends (an objection to
a public notice). Everything else SpiffWorkflow could run (service tasks that call out,
messages, thrown signals, call activities, loops) is refused by name: an element nobody
reviewed for this service is not run by it.
"""

from __future__ import annotations

from lxml import etree

from service.engine.errors import FlowProblem
from service.engine.xml import nearest_id

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# SpiffWorkflow's extensions (properties, calledDecisionId, pre- and post-scripts).
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

_UNSUPPORTED: dict[str, str] = {
    "serviceTask": "service tasks",
    "sendTask": "send tasks",
    "receiveTask": "receive tasks",
    "callActivity": "call activities",
    "transaction": "transactions",
    "adHocSubProcess": "ad-hoc subprocesses",
    "complexGateway": "complex gateways",
    "messageEventDefinition": "message events",
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
    "relief flows use user, manual, script and business rule tasks, gateways, timers, "
    "embedded subprocesses and intermediate catch events of the service's signals"
)
# Signals the service sends into a waiting case (``Instance.signal``): a flow may wait for them
# in an intermediate catch event, never throw them nor start on them.
SERVICE_SIGNALS = frozenset({"objection"})


def _owner_id(element: etree._Element, name: str) -> str | None:
    """The id a refusal names: the element's (its owner's, for a part of one), else the
    nearest element above with an id."""
    return nearest_id(element.getparent() if name in _PARTS else element)


def unsupported_elements(root: etree._Element) -> list[FlowProblem]:
    problems = []
    signals = {
        signal.get("id"): (signal.get("name") or "").strip()
        for signal in root.iter(f"{{{BPMN_NS}}}signal")
    }
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        name = etree.QName(element).localname
        kind = _UNSUPPORTED.get(name)
        if kind is None and name == "subProcess" and element.get("triggeredByEvent") == "true":
            kind = "event subprocesses"
        if kind is None and name == "signalEventDefinition":
            problems += _signal_problems(element, signals)
        if kind is not None:
            owner = _owner_id(element, name)
            problems.append(
                FlowProblem(
                    owner,
                    f"{kind} are not supported: {SUPPORTED}",
                    code="flow-element-unsupported",
                    params={"element": owner, "kind": name},
                )
            )
    return problems


def _signal_problems(
    definition: etree._Element, signals: dict[str | None, str]
) -> list[FlowProblem]:
    """A signal may only be waited for, in an intermediate catch event, and only one of the
    signals the service sends: no flow can throw one into another case."""
    owner = definition.getparent()
    assert owner is not None
    element = owner.get("id")
    if etree.QName(owner).localname != "intermediateCatchEvent":
        return [
            FlowProblem(
                element,
                "signal events are supported only as intermediate catch events (a flow waits "
                "for a signal the service sends; it never throws one)",
                code="flow-signal-not-caught",
                params={"element": element},
            )
        ]
    name = signals.get(definition.get("signalRef"))
    if name not in SERVICE_SIGNALS:
        return [
            FlowProblem(
                element,
                f"signal {(name or definition.get('signalRef') or '')!r} is not one the "
                "service sends; "
                f"flows may wait for: {', '.join(sorted(SERVICE_SIGNALS))}",
                code="flow-signal-unknown",
                params={
                    "element": element,
                    "signal": name or definition.get("signalRef") or "",
                    "signals": sorted(SERVICE_SIGNALS),
                },
            )
        ]
    return []
