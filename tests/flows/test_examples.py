"""The flows shipped as examples and kept as test data open in a modeler as they should: a shape
for every node and lane, inside its lane, and an edge for every flow from its source to its
target. No server needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.flows.helpers import EXAMPLE_V2, MODELER_BPMN, SHIPPED

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
NODES = {
    "startEvent",
    "endEvent",
    "userTask",
    "scriptTask",
    "businessRuleTask",
    "exclusiveGateway",
    "intermediateCatchEvent",
}
Box = tuple[float, float, float, float]


def _root(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False))


def _boxes(root: etree._Element) -> dict[str, Box]:
    boxes = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        bounds = shape.find("dc:Bounds", NS)
        assert bounds is not None, shape.get("id")
        boxes[shape.get("bpmnElement")] = tuple(
            float(bounds.get(name)) for name in ("x", "y", "width", "height")
        )
    return boxes


def _inside(point: tuple[float, float], box: Box, slack: float = 1.0) -> bool:
    x, y, width, height = box
    return (
        x - slack <= point[0] <= x + width + slack and y - slack <= point[1] <= y + height + slack
    )


def _within(inner: Box, outer: Box) -> bool:
    x, y, width, height = inner
    return _inside((x, y), outer, 0) and _inside((x + width, y + height), outer, 0)


@pytest.mark.parametrize("path", [EXAMPLE_V2, MODELER_BPMN], ids=lambda p: p.name)
def test_the_diagram_is_complete_and_consistent(path: Path) -> None:
    root = _root(path)
    process = root.find("bpmn:process", NS)
    assert process is not None
    nodes = {e.get("id") for e in process if etree.QName(e).localname in NODES}
    lanes = {lane.get("id"): lane for lane in process.iterfind(".//bpmn:lane", NS)}
    flows = {flow.get("id"): flow for flow in process.iterfind("bpmn:sequenceFlow", NS)}
    boxes = _boxes(root)
    assert nodes | set(lanes) <= set(boxes)
    for lane_id, lane in lanes.items():
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert _within(boxes[ref.text], boxes[lane_id]), (ref.text, lane_id)
    edges = {edge.get("bpmnElement"): edge for edge in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert set(flows) == set(edges)
    for flow_id, flow in flows.items():
        points = [
            (float(p.get("x")), float(p.get("y")))
            for p in edges[flow_id].findall("di:waypoint", NS)
        ]
        assert len(points) >= 2, flow_id
        assert _inside(points[0], boxes[flow.get("sourceRef")]), (flow_id, "source")
        assert _inside(points[-1], boxes[flow.get("targetRef")]), (flow_id, "target")
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            assert x0 == x1 or y0 == y1, (flow_id, "edges run straight or at right angles")
    every_id = {e.get("id") for e in root.iter() if e.get("id")}
    assert set(boxes) | set(edges) <= every_id  # nothing drawn that is not in the model


def _user_tasks(path: Path) -> dict[str, tuple[str, str]]:
    process = _root(path).find("bpmn:process", NS)
    assert process is not None
    lane_of = {
        ref.text: lane.get("name")
        for lane in process.iterfind(".//bpmn:lane", NS)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS)
    }
    return {
        task.get("id"): (task.get("name"), lane_of[task.get("id")])
        for task in process.iterfind("bpmn:userTask", NS)
    }


def test_the_example_v2_is_the_shipped_flow_with_one_township_step() -> None:
    shipped, v2 = _user_tasks(SHIPPED), _user_tasks(EXAMPLE_V2)
    assert v2 == {
        **shipped,
        "township_cosign": ("乡镇分管领导签字", "township_reviewer"),
    }
    for path in (SHIPPED, EXAMPLE_V2):
        [process] = _root(path).iterfind("bpmn:process", NS)
        assert process.get("id") == "emergency_consolation"


def test_the_modeler_file_carries_what_spiffarena_writes() -> None:
    root = _root(MODELER_BPMN)
    assert root.find("bpmn:collaboration/bpmn:participant", NS) is not None
    [called] = root.iterfind(".//bpmn:businessRuleTask//spiffworkflow:calledDecisionId", NS)
    assert called.text == "modeler_priority"
    assert root.find(".//spiffworkflow:preScript", NS).text == "reviewed = True"
    user_tasks = list(root.iterfind(".//bpmn:userTask", NS))
    for task in user_tasks:
        assert task.find(".//spiffworkflow:instructionsForEndUser", NS) is not None
        assert task.find(".//spiffworkflow:properties", NS) is not None
    lanes = {lane for _name, lane in _user_tasks(MODELER_BPMN).values()}
    assert lanes == {
        "caseworker",
        "village_head",
        "township_reviewer",
        "county_approver",
        "finance_officer",
    }
