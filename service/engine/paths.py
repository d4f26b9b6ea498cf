"""Whether every element of a flow lies on a path: reached from a start, and leading on.

SpiffWorkflow builds only what a start event reaches, so an element drawn but never connected
(a task dropped beside the flow) is skipped without a word, its declarations unchecked; and a
step with no way out ends its path there, so the case stops with no final status. Both are
read here from the XML alone, scope by scope (the process, each subprocess), so they are
reported with every other problem at once.
"""

from __future__ import annotations

from lxml import etree

from service.engine.elements import BPMN_NS
from service.engine.errors import FlowProblem
from service.engine.structure import NODE_TYPES
from service.engine.xml import local_name


def _scopes(root: etree._Element) -> list[etree._Element]:
    """The process and every subprocess not started by an event (each has its own start)."""
    return [
        scope
        for scope in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess")
        if scope.get("triggeredByEvent") != "true"
    ]


def path_problems(root: etree._Element) -> list[FlowProblem]:
    """Elements no start event reaches, and steps that lead nowhere (not end events)."""
    problems: list[FlowProblem] = []
    for scope in _scopes(root):
        nodes = {
            node.get("id"): node
            for node in scope
            if isinstance(node.tag, str)
            and node.tag.startswith(f"{{{BPMN_NS}}}")
            and local_name(node) in NODE_TYPES
            and node.get("id")
        }
        starts = [i for i, node in nodes.items() if local_name(node) == "startEvent"]
        if not nodes or not starts:
            continue  # no start at all: the engine's own refusal names the scope
        outgoing: dict[str, list[str]] = {}
        for flow in scope.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"):
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source and target:
                outgoing.setdefault(source, []).append(target)
        attached: dict[str, list[str]] = {}
        for node_id, node in nodes.items():
            host = node.get("attachedToRef")
            if local_name(node) == "boundaryEvent" and host:
                attached.setdefault(host, []).append(node_id)
        reached = _reach(starts, outgoing, attached)
        for node_id, node in nodes.items():
            name = node.get("name") or ""
            if node_id not in reached:
                problems.append(
                    FlowProblem(
                        node_id,
                        f"{node_id!r} is not connected: no start event leads to it, so it would "
                        "never run; connect it with a sequence flow or delete it",
                        code="flow-element-unreachable",
                        params={"element": node_id, "name": name},
                    )
                )
            elif local_name(node) != "endEvent" and not outgoing.get(node_id):
                problems.append(
                    FlowProblem(
                        node_id,
                        f"{node_id!r} leads nowhere: add a sequence flow from it to the next "
                        "step, or end the path at an end event with a final status",
                        code="flow-element-dead-end",
                        params={"element": node_id, "name": name},
                    )
                )
    return problems


def _reach(
    starts: list[str], outgoing: dict[str, list[str]], attached: dict[str, list[str]]
) -> set[str]:
    reached: set[str] = set()
    pending = list(starts)
    while pending:
        node = pending.pop()
        if node in reached:
            continue
        reached.add(node)
        pending.extend(outgoing.get(node, ()))
        pending.extend(attached.get(node, ()))  # a boundary event runs while its host waits
    return reached
