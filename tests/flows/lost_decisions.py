"""A flow whose new task's decisions reach no gateway: the shipped hardship relief flow with a
township co-signature (乡镇会签, id ``township_cosign``) put on the village committee's
approve branch, before the township review, and no gateway after it. It offers approve, reject
and return by default; a reject or return would be ignored, so upload (and the editor's live
check) refuses it naming the task. Declaring only ``decision.approve`` on it fixes that.

Kept apart from tests/flows/variants.py (the diff tests' edits) so each can change alone.
"""

from __future__ import annotations

from tests.flows.helpers import ROOT

HARDSHIP = ROOT / "workflows" / "hardship_relief.bpmn"
TASK = "township_cosign"
APPROVE_ONLY = '<spiffworkflow:property name="decision.approve" value="同意 | Approve" />'


def _replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def lost(key: str, *, approve_only: bool = False) -> str:
    """The flow under ``key`` with the co-signature; ``approve_only``: the fix."""
    text = HARDSHIP.read_text(encoding="utf-8")
    text = _replaced(text, 'processRef="hardship_relief"', f'processRef="{key}"')
    text = _replaced(text, '<bpmn:process id="hardship_relief"', f'<bpmn:process id="{key}"')
    decisions = APPROVE_ONLY if approve_only else ""
    task = f"""    <bpmn:userTask id="{TASK}" name="乡镇会签">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="name.en" value="Township co-signature" />
          {decisions}
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_cosign_approve</bpmn:incoming>
      <bpmn:outgoing>Flow_cosign_to_review</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_cosign_to_review" sourceRef="{TASK}" targetRef="township_review" />
"""
    text = _replaced(
        text,
        '    <bpmn:userTask id="township_review" name="乡镇审查">',
        task + '    <bpmn:userTask id="township_review" name="乡镇审查">',
    )
    text = _replaced(
        text,
        'sourceRef="gw_village_cosign" targetRef="township_review">',
        f'sourceRef="gw_village_cosign" targetRef="{TASK}">',
    )
    review_in = "<bpmn:incoming>Flow_cosign_approve</bpmn:incoming>\n      <bpmn:outgoing>Flow_t"
    text = _replaced(
        text, review_in, review_in.replace("Flow_cosign_approve", "Flow_cosign_to_review")
    )
    lane = "<bpmn:flowNodeRef>township_review</bpmn:flowNodeRef>"
    return _replaced(text, lane, f"<bpmn:flowNodeRef>{TASK}</bpmn:flowNodeRef>\n        {lane}")
