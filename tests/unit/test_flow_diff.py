"""The structure of a flow version read from its XML, and the diff of two versions
(service/engine/structure.py, service/flows/diff.py): pure functions, no database."""

from __future__ import annotations

from service.engine.structure import read_structure
from service.flows import diff
from service.flows.schemas import (
    DecisionsChange,
    FieldsChange,
    FlowChange,
    FlowDiff,
    NameChange,
    TextChange,
)
from tests.flows import variants
from tests.flows.variants import REJECT, RETURN


def _compare(before: str, after: str) -> FlowDiff:
    return diff.compare(
        read_structure(before.encode()),
        read_structure(after.encode()),
        from_version=1,
        to_version=2,
    )


def test_the_structure_of_the_shipped_flow() -> None:
    structure = read_structure(variants.HARDSHIP.read_bytes())
    assert structure.key == "hardship_relief"
    assert structure.lanes[0] == "caseworker"
    task = structure.elements["card_payout"]
    assert (task.type, task.name, task.name_en, task.lane) == (
        "userTask",
        "打卡发放",
        "Card payout",
        "finance_officer",
    )
    assert task.deadline == "deadline('card_payout')"
    assert [option.code for option in task.decisions] == ["approve", "return"]
    assert task.fields == {"bank_reference": "reference required"}
    assert structure.elements["end_paid"].status == "paid"
    assert structure.elements["escalated_card_payout"].status is None
    failed = structure.flows["Flow_payout_failed"]
    assert (failed.source, failed.target, failed.default) == ("gw_card_payout", "correction", True)
    assert structure.flows["Flow_investigation_reject"].condition == REJECT


def test_a_version_against_itself_changes_nothing() -> None:
    text = variants.shipped()
    found = _compare(text, text)
    assert (found.added, found.removed, found.changed) == ([], [], [])
    assert (found.lanes_added, found.lanes_removed) == ([], [])


def test_a_swap_of_reject_and_return_shows_each_branch_before_and_after() -> None:
    found = _compare(variants.shipped(), variants.swapped_reject_and_return(variants.shipped()))
    assert found.added == []
    assert found.removed == []
    (gateway,) = found.changed
    assert gateway.id == "gw_village_investigation"
    # An unnamed gateway is named by the task leading into it.
    assert (gateway.name, gateway.after, gateway.after_en) == (
        "",
        "村调查",
        "Village investigation",
    )
    assert gateway.lane == "caseworker"
    branches = {item.target.name: item for item in gateway.changes if isinstance(item, FlowChange)}
    assert set(branches) == {"驳回", "补正材料"}
    assert branches["驳回"].change == "changed"
    assert (branches["驳回"].condition_before, branches["驳回"].condition_after) == (REJECT, RETURN)
    assert (branches["补正材料"].condition_before, branches["补正材料"].condition_after) == (
        RETURN,
        REJECT,
    )
    assert branches["驳回"].target.lane == "caseworker"
    marks = diff.marked(found)
    assert set(marks["after_changed"]) == {
        "gw_village_investigation",
        "Flow_investigation_reject",
        "Flow_investigation_return",
    }


def test_a_task_dropped_onto_a_sequence_flow_is_named_with_its_lane_and_deadline() -> None:
    before = variants.shipped()
    found = _compare(before, variants.task_dropped_on_flow(before))
    (added,) = found.added
    assert (added.id, added.name, added.name_en, added.lane) == (
        "Activity_0x7k2m1",
        "乡镇会签",
        "Township co-signature",
        "township_reviewer",
    )
    deadline = next(c for c in added.changes if isinstance(c, TextChange))
    assert (deadline.attribute, deadline.after) == ("deadline", None)  # the catalogue's default
    decisions = next(c for c in added.changes if isinstance(c, DecisionsChange))
    assert [(d.code, d.name, d.name_en) for d in decisions.after] == [
        ("approve", "会签", "Co-sign")
    ]
    (onward,) = [c for c in added.changes if isinstance(c, FlowChange)]
    assert (onward.change, onward.target.id, onward.target.name) == (
        "added",
        "township_review",
        "乡镇审查",
    )
    assert onward.condition_after is None
    # The approve branch of the gateway before it now leads to the new task, not the review.
    (gateway,) = found.changed
    assert (gateway.id, gateway.after) == ("gw_village_cosign", "村委会主任签字")
    flows = {
        (c.change, c.target.id, c.condition_before, c.condition_after)
        for c in gateway.changes
        if isinstance(c, FlowChange)
    }
    approve = "decision == 'approve'"
    assert flows == {
        ("added", "Activity_0x7k2m1", None, approve),
        ("removed", "township_review", approve, None),
    }
    assert found.removed == []
    marks = diff.marked(found)
    assert {"Activity_0x7k2m1", "Flow_1q2w3e4", "Flow_cosign_approve"} <= set(marks["after_added"])
    assert "Flow_cosign_approve" in marks["before_removed"]
    assert "gw_village_cosign" in marks["before_changed"]


def test_a_renamed_task_shows_both_names() -> None:
    before = variants.shipped()
    found = _compare(before, variants.renamed_township_review(before))
    (task,) = found.changed
    assert task.id == "township_review"
    (name,) = task.changes
    assert isinstance(name, NameChange)
    assert (name.before, name.after, name.before_en, name.after_en) == (
        "乡镇审查",
        "乡镇审核",
        "Township review",
        "Township check",
    )


def test_lane_deadline_decisions_fields_and_status_changes() -> None:
    before = variants.shipped()
    after = before.replace(
        "<bpmn:timeDate xsi:type=\"bpmn:tFormalExpression\">deadline('card_payout')",
        "<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">'P5D'",
    ).replace(
        "</bpmn:timeDate>\n      </bpmn:timerEventDefinition>\n    </bpmn:boundaryEvent>\n"
        '    <bpmn:sequenceFlow id="Flow_overdue_card_payout"',
        "</bpmn:timeDuration>\n      </bpmn:timerEventDefinition>\n    </bpmn:boundaryEvent>\n"
        '    <bpmn:sequenceFlow id="Flow_overdue_card_payout"',
    )
    after = after.replace(
        '<spiffworkflow:property name="field.bank_reference" value="reference required" />',
        '<spiffworkflow:property name="field.bank_reference" value="reference" />',
    )
    after = after.replace(
        '<spiffworkflow:property name="decision.return" value="发放失败，退回补正 | Payout failed',
        '<spiffworkflow:property name="decision.return" value="发放失败 | Payout failed',
    )
    # The end paid moved to the county's lane, and declares another status.
    after = after.replace("<bpmn:flowNodeRef>end_paid</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>end_revoked</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>end_revoked</bpmn:flowNodeRef><bpmn:flowNodeRef>end_paid</bpmn:flowNodeRef>",
    )
    after = after.replace(
        '<spiffworkflow:property name="name.en" value="Paid" />',
        '<spiffworkflow:property name="name.en" value="Paid" />'
        '<spiffworkflow:property name="status" value="enrolled" />',
    )
    found = _compare(before, after)
    by_id = {element.id: element for element in found.changed}
    payout = {c.attribute: c for c in by_id["card_payout"].changes}
    assert isinstance(payout["deadline"], TextChange)
    assert (payout["deadline"].before, payout["deadline"].after) == (
        "deadline('card_payout')",
        "'P5D'",
    )
    assert isinstance(payout["fields"], FieldsChange)
    assert payout["fields"].after == {"bank_reference": "reference"}
    assert isinstance(payout["decisions"], DecisionsChange)
    assert payout["decisions"].after[1].name == "发放失败"
    end = {c.attribute: c for c in by_id["end_paid"].changes}
    assert isinstance(end["lane"], TextChange)
    assert (end["lane"].before, end["lane"].after) == ("finance_officer", "county_approver")
    assert isinstance(end["status"], TextChange)
    assert (end["status"].before, end["status"].after) == ("paid", "enrolled")


def test_a_removed_task_and_lane() -> None:
    before = variants.shipped()
    after = read_structure(before.encode())
    elements = {k: v for k, v in after.elements.items() if k != "objection_review"}
    trimmed = type(after)(
        key=after.key, elements=elements, flows=after.flows, lanes=after.lanes[:-1]
    )
    found = diff.compare(read_structure(before.encode()), trimmed, from_version=3, to_version=4)
    assert [(e.id, e.name, e.lane) for e in found.removed] == [
        ("objection_review", "核查举报", "county_approver")
    ]
    assert found.lanes_removed == ["finance_officer"]
    assert (found.from_version, found.to_version) == (3, 4)


def test_roles_and_ends_follow_the_conventions() -> None:
    """A task's role from camunda:candidateGroups (over its lane's), an end's status from
    its name when its id says none (service/engine/conventions.py)."""
    before = variants.shipped()
    after = before.replace(
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
        1,
    ).replace(
        '<bpmn:userTask id="township_review" name="乡镇审查">',
        '<bpmn:userTask id="township_review" name="乡镇审查" '
        'camunda:candidateGroups="county_approver">',
    )
    structure = read_structure(after.encode())
    assert structure.elements["township_review"].lane == "county_approver"
    assert structure.elements["gw_township_review"].lane == "township_reviewer"
    found = _compare(before, after)
    (task,) = found.changed
    (lane,) = task.changes
    assert isinstance(lane, TextChange)
    assert (lane.attribute, lane.before, lane.after) == (
        "lane",
        "township_reviewer",
        "county_approver",
    )
    # An end with a generated id takes its status from its name (the console's word for it).
    generated = before.replace(
        '<bpmn:endEvent id="end_revoked" name="撤销">',
        '<bpmn:endEvent id="Event_1abc" name="已撤销">',
    )
    generated = generated.replace("end_revoked", "Event_1abc")
    assert read_structure(generated.encode()).elements["Event_1abc"].status == "revoked"
