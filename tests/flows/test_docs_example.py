"""docs/flows.md states the conventions of a flow with a minimal complete example: the
example is accepted as it is written there, fits a one-time program, and runs to paid."""

from __future__ import annotations

import re

from service.flows import rules
from service.flows import service as flows_service
from tests.flows.helpers import ROOT

DOC = ROOT / "docs" / "flows.md"


def example() -> bytes:
    [xml] = re.findall(r"```xml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return xml.encode("utf-8")


def test_the_example_in_docs_flows_md_is_a_valid_flow() -> None:
    file = flows_service.FlowFile("minimal_relief.bpmn", example())
    flow = flows_service.validate(file, [], review_keys=set())
    assert flow.key == "minimal_relief"
    assert rules.binding_problems(flow, kind="one_time", review=False) == []
    assert {task.id: task.lane for task in flow.user_tasks} == {
        "village_investigation": "caseworker",
        "county_verification": "county_approver",
        "card_payout": "finance_officer",
    }
