"""Gateways an administrator might draw in a modeler that would silently misroute a decision
(issue 21 §1), each refused at upload naming the gateway and the decisions; over real HTTP on
SQLite and PostgreSQL. The shipped hardship relief flow is changed as a modeler's edit would
change it; the township review's gateway (gw_township_review) routes approve to the county,
reject to end_rejected and return to the correction.

SpiffWorkflow tries a gateway's conditions in the order of their targets' height on the
diagram (not the XML's order) and takes the first that holds, then the default flow. So
``decision != 'reject'`` on the county branch sends a return to the county whenever the county
task is drawn above the correction: the check reads the conditions as the engine will run
them and refuses conditions that hold for one decision on two branches, where moving a box
would change the route.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import Api, Backend, Server, assert_problem
from tests.flows import lost_decisions
from tests.flows.helpers import ROOT, flows, upload
from tests.tasks.test_rules import snapshot
from tests.web import pages
from tests.web.pages import logged_in

HARDSHIP = (ROOT / "workflows" / "hardship_relief.bpmn").read_text(encoding="utf-8")
GATEWAY = "gw_township_review"


def _condition(text: str, gateway: str, target: str, condition: str) -> str:
    """The condition of ``gateway``'s branch to ``target`` replaced."""
    pattern = (
        rf'(sourceRef="{gateway}" targetRef="{target}">\s*'
        r"(?:<bpmn:extensionElements>[\s\S]*?</bpmn:extensionElements>\s*)?"
        r"<bpmn:conditionExpression [^>]*>)[^<]*"
    )
    text, count = re.subn(pattern, lambda m: m.group(1) + condition, text)
    assert count == 1, (gateway, target)
    return text


def _default(text: str, gateway: str, flow: str) -> str:
    old = f'<bpmn:exclusiveGateway id="{gateway}">'
    assert text.count(old) == 1
    return text.replace(old, f'<bpmn:exclusiveGateway id="{gateway}" default="{flow}">')


def default_catches_reject(text: str) -> str:
    """The county branch made the default flow, the reject branch's condition mistyped: a
    reject goes on to the county (the issue's bug, drawn with a default flow)."""
    text = _default(text, GATEWAY, "Flow_township_approve")
    return _condition(text, GATEWAY, "end_rejected", "decision == 'rejected'")


def return_ends_rejected(text: str) -> str:
    """The rejected end made the default, the return branch's condition mistyped: a return
    ends the case rejected instead of going back for correction."""
    text = _default(text, GATEWAY, "Flow_township_reject")
    return _condition(text, GATEWAY, "correction", "decision == 'send_back'")


def not_reject_goes_on(text: str) -> str:
    """``decision != 'reject'`` on the county branch: it holds for a return too, and which
    branch a return takes depends on where the boxes are drawn."""
    return _condition(text, GATEWAY, "county_verification", "decision != 'reject'")


def in_tuple_goes_on(text: str) -> str:
    return _condition(text, GATEWAY, "county_verification", "decision in ('approve', 'return')")


def county_reject_to_the_notice(text: str) -> str:
    """The county's reject branch drawn to the public notice: the case is paid."""
    old = (
        'id="Flow_county_reject" name="驳回" sourceRef="gw_county_verification" '
        'targetRef="end_rejected"'
    )
    assert text.count(old) == 1
    return text.replace(old, old.replace('targetRef="end_rejected"', 'targetRef="notice_open"'))


def _branch(text: str, flow: str, target: str, *, via_event: bool = False) -> str:
    """One more branch out of the township review's gateway, to ``target`` (through an
    intermediate event when ``via_event``)."""
    old = '<bpmn:sequenceFlow id="Flow_township_done"'
    assert text.count(old) == 1
    if via_event:
        added = (
            f'<bpmn:intermediateThrowEvent id="{flow}_event" />'
            f'<bpmn:sequenceFlow id="{flow}" sourceRef="{GATEWAY}" targetRef="{flow}_event" />'
            f'<bpmn:sequenceFlow id="{flow}_on" sourceRef="{flow}_event" targetRef="{target}" />'
        )
    else:
        added = f'<bpmn:sequenceFlow id="{flow}" sourceRef="{GATEWAY}" targetRef="{target}" />'
    return text.replace(old, added + "\n    " + old)


def default_to_the_county_by_its_own_flow(text: str) -> str:
    """A default flow of its own to the county task, the return branch's condition mistyped:
    a return goes on to the county beside the approvals."""
    text = _default(
        _branch(text, "Flow_township_other", "county_verification"), GATEWAY, "Flow_township_other"
    )
    return _condition(text, GATEWAY, "correction", "decision == 'send_back'")


def default_to_the_county_through_an_event(text: str) -> str:
    """The same through an intermediate event on the way (a modeler's "notify" event)."""
    text = _branch(text, "Flow_township_other", "county_verification", via_event=True)
    text = _default(text, GATEWAY, "Flow_township_other")
    return _condition(text, GATEWAY, "end_rejected", "decision == 'rejected'")


HOLES = {
    "default_catches_reject": (
        default_catches_reject,
        "flow-gateway-decisions-merged",
        {"element": GATEWAY, "decisions": ["approve", "reject"], "target": "county_verification"},
    ),
    "return_ends_rejected": (
        return_ends_rejected,
        "flow-gateway-decisions-merged",
        {"element": GATEWAY, "decisions": ["reject", "return"], "target": "end_rejected"},
    ),
    "default_to_the_county_by_its_own_flow": (
        default_to_the_county_by_its_own_flow,
        "flow-gateway-decisions-merged",
        {"element": GATEWAY, "decisions": ["approve", "return"], "target": "county_verification"},
    ),
    "default_to_the_county_through_an_event": (
        default_to_the_county_through_an_event,
        "flow-gateway-decisions-merged",
        {"element": GATEWAY, "decisions": ["approve", "reject"], "target": "county_verification"},
    ),
    "not_reject_goes_on": (
        not_reject_goes_on,
        "flow-gateway-conditions-overlap",
        {"element": GATEWAY, "decision": "return"},
    ),
    "in_tuple_goes_on": (
        in_tuple_goes_on,
        "flow-gateway-conditions-overlap",
        {"element": GATEWAY, "decision": "return"},
    ),
    "county_reject_to_the_notice": (
        county_reject_to_the_notice,
        "flow-decision-reaches-payout",
        {"element": "gw_county_verification", "decision": "reject", "target": "card_payout"},
    ),
}


def _under_key(text: str, key: str) -> bytes:
    text = text.replace('processRef="hardship_relief"', f'processRef="{key}"')
    return text.replace('<bpmn:process id="hardship_relief"', f'<bpmn:process id="{key}"').encode()


@pytest.mark.parametrize("hole", sorted(HOLES))
def test_a_gateway_that_misroutes_a_decision_is_refused_at_upload(api: Api, hole: str) -> None:
    edit, code, params = HOLES[hole]
    key = f"hole_{uuid.uuid4().hex[:8]}"
    before = flows(api)
    refused = assert_problem(
        upload(api, (f"{key}.bpmn", _under_key(edit(HARDSHIP), key))), 422, "invalid-flow"
    )
    mine = [error for error in refused["errors"] if error["code"] == code]
    assert mine, refused["errors"]
    assert any(params.items() <= error["params"].items() for error in mine), mine
    assert flows(api) == before
    # The editor's live check says the same.
    files = [("bpmn", (f"{key}.bpmn", _under_key(edit(HARDSHIP), key), "application/xml"))]
    checked = api.post("/flows/validate", as_="admin", files=files).json()
    assert checked["valid"] is False
    assert code in {problem["code"] for problem in checked["problems"]}


def test_the_shipped_flow_under_a_new_key_is_accepted(api: Api) -> None:
    """The control: the same upload without the edit is taken."""
    key = f"hole_{uuid.uuid4().hex[:8]}"
    response = upload(api, (f"{key}.bpmn", _under_key(HARDSHIP, key)))
    assert response.status_code == 201, response.text


def test_the_console_refuses_a_decision_the_task_does_not_offer_in_chinese(
    server: Server, api: Api, backend: Backend, ready_case: dict
) -> None:
    """The correction task offers resubmit and abandon; a form posting 'return' (a decision
    code, just not this task's) is refused in Chinese and changes nothing."""
    case_id = ready_case["id"]
    investigation = api.task_for(case_id, as_="cw.lizhuang")
    returned = api.decide(investigation["id"], "return", as_="cw.lizhuang", comment="缺户口本")
    assert returned.status_code == 200, returned.text
    task = api.task_for(case_id, as_="cw.lizhuang")
    assert task["spec"] == "correction"
    before = snapshot(backend, case_id)
    page = logged_in(server, "cw.lizhuang")
    response = page.post(
        f"/applications/{case_id}/decision",
        {"task_id": str(task["id"]), "decision": "return", "comment": "再等等"},
    )
    assert response.status_code == 303
    shown = pages.flash(page.get(f"/applications/{case_id}").text)
    assert re.search(r"[\u4e00-\u9fff]", shown), shown
    assert "offer" not in shown
    # Nothing changed: the case, its workflow state, its tasks and the trail.
    assert snapshot(backend, case_id) == before


def test_a_task_offering_only_reject_on_a_sequence_flow_is_refused(api: Api) -> None:
    """The township co-signature dropped onto a sequence flow (tests/flows/lost_decisions.py)
    declaring only 'reject': with no gateway after it, a reject would go on to the township
    review. Declaring only 'approve' is the fix (the control)."""
    key = f"hole_{uuid.uuid4().hex[:8]}"
    only_reject = lost_decisions.lost(key, approve_only=True).replace(
        lost_decisions.APPROVE_ONLY,
        '<spiffworkflow:property name="decision.reject" value="驳回 | Reject" />',
    )
    refused = assert_problem(
        upload(api, (f"{key}.bpmn", only_reject.encode())), 422, "invalid-flow"
    )
    assert {
        (e["code"], e["element"], tuple(e["params"].get("decisions", ())))
        for e in refused["errors"]
    } == {("flow-task-decisions-unrouted", lost_decisions.TASK, ("reject",))}
    fixed = lost_decisions.lost(key, approve_only=True).encode()
    assert upload(api, (f"{key}.bpmn", fixed)).status_code == 201
