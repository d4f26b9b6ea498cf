"""Edits of the shipped hardship relief flow an administrator makes in a modeler, as text: the
versions the diff tests compare (tests/unit/test_flow_diff.py, tests/web/test_flow_diff_page.py).
"""

from __future__ import annotations

import re

from tests.flows.helpers import ROOT

HARDSHIP = ROOT / "workflows" / "hardship_relief.bpmn"
REJECT = "decision == 'reject'"
RETURN = "decision == 'return'"


def shipped() -> str:
    return HARDSHIP.read_text(encoding="utf-8")


def _replaced(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) == count, (old, text.count(old))
    return text.replace(old, new)


def under_key(text: str, key: str) -> str:
    """The flow under another process id (a flow key no program uses)."""
    text = _replaced(text, 'processRef="hardship_relief"', f'processRef="{key}"')
    return _replaced(text, '<bpmn:process id="hardship_relief"', f'<bpmn:process id="{key}"')


def swapped_reject_and_return(text: str) -> str:
    """The village investigation's gateway sends a reject to correction and a return to the
    rejected end: the two branches' conditions swapped, targets and names kept."""
    reject = 'targetRef="end_rejected">'
    start = text.index('<bpmn:sequenceFlow id="Flow_investigation_reject"')
    end = text.index("</bpmn:sequenceFlow>", start)
    block = text[start:end]
    assert reject in block
    assert REJECT in block
    text = text[:start] + block.replace(REJECT, "@@") + text[end:]
    start = text.index('<bpmn:sequenceFlow id="Flow_investigation_return"')
    end = text.index("</bpmn:sequenceFlow>", start)
    text = text[:start] + text[start:end].replace(RETURN, REJECT) + text[end:]
    return text.replace("@@", RETURN)


def renamed_township_review(text: str) -> str:
    """乡镇审查 renamed 乡镇审核 (Township check)."""
    text = _replaced(
        text, 'id="township_review" name="乡镇审查"', 'id="township_review" name="乡镇审核"'
    )
    return _replaced(
        text,
        '<spiffworkflow:property name="name.en" value="Township review" />',
        '<spiffworkflow:property name="name.en" value="Township check" />',
    )


NEW_TASK = """    <bpmn:userTask id="Activity_0x7k2m1" name="乡镇会签">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="name.en" value="Township co-signature" />
          <spiffworkflow:property name="decision.approve" value="会签 | Co-sign" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_cosign_approve</bpmn:incoming>
      <bpmn:outgoing>Flow_1q2w3e4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_1q2w3e4" sourceRef="Activity_0x7k2m1" \
targetRef="township_review" />
"""
NEW_SHAPES = """      <bpmndi:BPMNShape id="Activity_0x7k2m1_di" bpmnElement="Activity_0x7k2m1">
        <dc:Bounds x="580" y="580" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1q2w3e4_di" bpmnElement="Flow_1q2w3e4">
        <di:waypoint x="680" y="620" />
        <di:waypoint x="800" y="620" />
      </bpmndi:BPMNEdge>
"""


def task_dropped_on_flow(text: str) -> str:
    """A township co-signature 乡镇会签 (it offers one decision, 会签) dropped onto the
    approve branch from the village committee's gateway to the township review, as bpmn-js
    does it: the branch now ends at the new task (id generated) and a new flow leads on to the
    township review. No timer: the catalogue's deadline applies."""
    flow = (
        '<bpmn:sequenceFlow id="Flow_cosign_approve" name="同意" sourceRef="gw_village_cosign" '
        'targetRef="township_review">'
    )
    text = _replaced(text, flow, flow.replace("township_review", "Activity_0x7k2m1"))
    text = _replaced(
        text,
        '    <bpmn:sequenceFlow id="Flow_township_done"',
        NEW_TASK + '    <bpmn:sequenceFlow id="Flow_township_done"',
    )
    text = _replaced(
        text,
        "<bpmn:incoming>Flow_cosign_approve</bpmn:incoming>\n"
        "      <bpmn:outgoing>Flow_township_done",
        "<bpmn:incoming>Flow_1q2w3e4</bpmn:incoming>\n      <bpmn:outgoing>Flow_township_done",
    )
    text = _replaced(
        text,
        "<bpmn:flowNodeRef>township_review</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>township_review</bpmn:flowNodeRef>\n"
        "        <bpmn:flowNodeRef>Activity_0x7k2m1</bpmn:flowNodeRef>",
    )
    text = _replaced(
        text,
        """        <di:waypoint x="735" y="445" />
        <di:waypoint x="735" y="620" />
        <di:waypoint x="800" y="620" />""",
        """        <di:waypoint x="735" y="445" />
        <di:waypoint x="735" y="500" />
        <di:waypoint x="630" y="500" />
        <di:waypoint x="630" y="580" />""",
    )
    return _replaced(text, "    </bpmndi:BPMNPlane>", NEW_SHAPES + "    </bpmndi:BPMNPlane>")


def edited(key: str) -> str:
    """The shipped flow under ``key`` with all three edits."""
    return task_dropped_on_flow(
        renamed_township_review(swapped_reject_and_return(under_key(shipped(), key)))
    )


# --- one edit each, for the diff's every kind of change (tests/unit/test_flow_diff.py) --------


def moved_township_review(text: str) -> str:
    """乡镇审查 moved into the county approver's lane."""
    text = _replaced(text, "<bpmn:flowNodeRef>township_review</bpmn:flowNodeRef>", "")
    return _replaced(
        text,
        "<bpmn:flowNodeRef>county_verification</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>county_verification</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>township_review</bpmn:flowNodeRef>",
    )


def village_head_lane_to_township(text: str) -> str:
    """The village head's lane given to the township reviewer (its name is its role)."""
    return _replaced(
        text,
        '<bpmn:lane id="Lane_village_head" name="village_head">',
        '<bpmn:lane id="Lane_village_head" name="township_reviewer">',
    )


def township_reject_to_correction(text: str) -> str:
    """The township review's reject branch re-targeted to correction: routing changed, no
    task changed."""
    return _replaced(
        text,
        'id="Flow_township_reject" name="驳回" sourceRef="gw_township_review" '
        'targetRef="end_rejected"',
        'id="Flow_township_reject" name="驳回" sourceRef="gw_township_review" '
        'targetRef="correction"',
    )


def payout_default_on_success(text: str) -> str:
    """The payout gateway's default moved from the failure branch (now taken on a return)
    to the success one (its condition dropped)."""
    text = _replaced(text, 'default="Flow_payout_failed"', 'default="Flow_payout_success"')
    approve = (
        "      <bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">decision == 'approve'"
        "</bpmn:conditionExpression>\n"
    )
    failed = '<bpmn:sequenceFlow id="Flow_payout_failed"'
    at = text.index(failed)
    before = text[:at]
    cut = before.rindex(approve)
    text = before[:cut] + before[cut + len(approve) :] + text[at:]
    end = text.index("</bpmn:sequenceFlow>", text.index(failed))
    condition = approve.replace("approve", "return").strip()
    return text[:end] + "  " + condition + "\n    " + text[end:]


def without_timer(text: str, step: str) -> str:
    """``step`` without its boundary timer (超期) and the escalation's end (督办): the
    catalogue's default deadline applies."""
    text = _replaced(text, f"<bpmn:flowNodeRef>overdue_{step}</bpmn:flowNodeRef>", "")
    text = _replaced(text, f"<bpmn:flowNodeRef>escalated_{step}</bpmn:flowNodeRef>", "")
    text, count = re.subn(
        rf'\s*<bpmn:boundaryEvent id="overdue_{step}".*?</bpmn:boundaryEvent>'
        rf'\s*<bpmn:sequenceFlow id="Flow_overdue_{step}"[^>]*/>'
        rf'\s*<bpmn:endEvent id="escalated_{step}".*?</bpmn:endEvent>',
        "",
        text,
        flags=re.S,
    )
    assert count == 1
    return text


def payout_without_timer(text: str) -> str:
    """打卡发放 without its boundary timer (超期) and the escalation's end (督办)."""
    return without_timer(text, "card_payout")


def payout_timer(text: str, expression: str) -> str:
    return _replaced(
        text,
        "<bpmn:timeDate xsi:type=\"bpmn:tFormalExpression\">deadline('card_payout')",
        f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{expression}',
    )


def notice_script(text: str, script: str) -> str:
    """The script that opens the public notice (公示开始), rewritten."""
    return _replaced(text, "notice_ends_at = notice_end('notice')", script)


def notice_timer(text: str, expression: str) -> str:
    """The timer that ends the public notice (公示期满: an intermediate event, no task's
    deadline)."""
    return _replaced(text, ">notice_ends_at</bpmn:timeDate>", f">{expression}</bpmn:timeDate>")


def payout_decision_hint(text: str) -> str:
    """Only what 已发放 says it does changed, not its name."""
    return _replaced(text, "已打卡发放，填写银行流水号 |", "已打卡发放，填写流水号 |")


def payout_field(text: str, declaration: str) -> str:
    return _replaced(
        text,
        '<spiffworkflow:property name="field.bank_reference" value="reference required" />',
        declaration,
    )


def revoked_ends_rejected(text: str) -> str:
    """The revoked end declares the status rejected."""
    return _replaced(
        text,
        '<spiffworkflow:property name="name.en" value="Revoked" />',
        '<spiffworkflow:property name="name.en" value="Revoked" />'
        '<spiffworkflow:property name="status" value="rejected" />',
    )


def township_review_renamed_in_english(text: str) -> str:
    """乡镇审查 keeps its Chinese name; its English one becomes Township check."""
    return _replaced(
        text,
        '<spiffworkflow:property name="name.en" value="Township review" />',
        '<spiffworkflow:property name="name.en" value="Township check" />',
    )
