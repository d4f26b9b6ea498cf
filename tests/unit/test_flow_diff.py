"""The structure of a flow version read from its XML, and the diff of two versions
(service/engine/structure.py, service/flows/diff.py): pure functions, no database."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.engine.structure import read_structure
from service.flows import diff, diff_parts
from service.flows.schemas import (
    DecisionsChange,
    FieldsChange,
    FlowChange,
    FlowDiff,
    NameChange,
    TextChange,
)
from service.web import flow_diff
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
    # The approve branch of the gateway before it (the same flow, re-targeted by bpmn-js) now
    # leads to the new task, not the review: one change naming both, its condition kept.
    (gateway,) = found.changed
    assert (gateway.id, gateway.after) == ("gw_village_cosign", "村委会主任签字")
    (branch,) = [c for c in gateway.changes if isinstance(c, FlowChange)]
    approve = "decision == 'approve'"
    assert (branch.change, branch.flow_before, branch.flow_after) == (
        "changed",
        "Flow_cosign_approve",
        "Flow_cosign_approve",
    )
    assert branch.target_before is not None
    assert (branch.target_before.name, branch.target.name) == ("乡镇审查", "乡镇会签")
    assert (branch.condition_before, branch.condition_after) == (approve, approve)
    assert found.removed == []
    marks = diff.marked(found)
    assert {"Activity_0x7k2m1", "Flow_1q2w3e4"} <= set(marks["after_added"])
    assert "Flow_cosign_approve" in marks["after_changed"]
    assert "Flow_cosign_approve" in marks["before_changed"]
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


# --- every kind of change, as the page says it in Chinese ---------------------------------


def _full(before: str, after: str) -> FlowDiff:
    """The diff as the service computes it for two stored versions: scripts and timers too."""
    return diff.compare(
        read_structure(before.encode()),
        read_structure(after.encode()),
        from_version=1,
        to_version=2,
        expressions_before=diff_parts.expressions(before.encode()),
        expressions_after=diff_parts.expressions(after.encode()),
    )


def _said(before: str, after: str) -> list[str]:
    """Each line the Chinese page says: the element (name · kind · lane [change]) and each
    item under it as 'label: before → after'."""
    shown = flow_diff.shown(_full(before, after), "zh_CN")
    lines = []
    for change in ("added", "removed", "changed"):
        for row in shown[change]:
            lines.append(f"{row['name']} · {row['kind']} · {row['lane']} [{change}]")
            lines += [
                f"  {item['label']}: {_side(item, 'before')} → {_side(item, 'after')}"
                for item in row["items"]
            ]
    return lines


def _side(item: dict, side: str) -> str:
    note = item[f"note_{side}"]
    return f"{item[side] or ''}{f'（{note}）' if note else ''}"


def _edited(edit: Callable[[str], str]) -> tuple[str, str]:
    return variants.shipped(), edit(variants.shipped())


APPROVE = "decision == 'approve'"
EVERY_CHANGE: dict[str, tuple[Callable[[str], str], list[str]]] = {
    "task moved to another lane": (
        variants.moved_township_review,
        [
            "乡镇审查 · 用户任务 · 县审核认定人员 [changed]",
            "  泳道: 乡镇审查人员 → 县审核认定人员",
        ],
    ),
    "a lane's role": (
        variants.village_head_lane_to_township,
        [
            "村委会主任签字 · 用户任务 · 乡镇审查人员 [changed]",
            "  泳道: 村委会主任 → 乡镇审查人员",
            "村委会主任签字的超期 · 边界事件 · 乡镇审查人员 [changed]",
            "  泳道: 村委会主任 → 乡镇审查人员",
            "村委会主任签字之后的督办 · 结束事件 · 乡镇审查人员 [changed]",
            "  泳道: 村委会主任 → 乡镇审查人员",
            "村委会主任签字之后的排他网关 · 排他网关 · 乡镇审查人员 [changed]",
            "  泳道: 村委会主任 → 乡镇审查人员",
        ],
    ),
    "a flow re-targeted, no task changed": (
        variants.township_reject_to_correction,
        [
            "乡镇审查之后的排他网关 · 排他网关 · 乡镇审查人员 [changed]",
            "  分支“驳回”改了去向: 驳回 → 补正材料",
        ],
    ),
    "a default flow": (
        variants.payout_default_on_success,
        [
            "打卡发放之后的排他网关 · 排他网关 · 财务发放人员 [changed]",
            f"  去往“已发放”的分支: {APPROVE} → 默认分支（其他条件都不成立时）",
            f"  去往“补正材料”的分支: 默认分支（其他条件都不成立时） → {RETURN}",
        ],
    ),
    "a boundary timer's expression": (
        lambda text: variants.payout_timer(text, "deadline('township_review')"),
        [
            "打卡发放 · 用户任务 · 财务发放人员 [changed]",
            "  办理时限: deadline('card_payout') → deadline('township_review')",
        ],
    ),
    "a boundary timer removed: the catalogue's default": (
        variants.payout_without_timer,
        [
            "打卡发放的超期 · 边界事件 · 财务发放人员 [removed]",
            "打卡发放之后的督办 · 结束事件 · 财务发放人员 [removed]",
            "打卡发放 · 用户任务 · 财务发放人员 [changed]",
            "  办理时限: deadline('card_payout') → 目录默认期限",
        ],
    ),
    "a script": (
        lambda text: variants.notice_script(text, "notice_ends_at = notice_end('notice', 14)"),
        [
            "公示开始 · 脚本任务 · 县审核认定人员 [changed]",
            "  脚本: notice_ends_at = notice_end('notice') → "
            "notice_ends_at = notice_end('notice', 14)",
        ],
    ),
    "an intermediate timer": (
        lambda text: variants.notice_timer(text, "notice_end('notice')"),
        [
            "公示期满 · 中间事件 · 县审核认定人员 [changed]",
            "  定时器: notice_ends_at → notice_end('notice')",
        ],
    ),
    "a decision's hint only": (
        variants.payout_decision_hint,
        [
            "打卡发放 · 用户任务 · 财务发放人员 [changed]",
            "  可选决定: 已发放（已打卡发放，填写银行流水号）、"
            "发放失败，退回补正（退回经办人核对银行卡信息）"
            " → 已发放（已打卡发放，填写流水号）、发放失败，退回补正（退回经办人核对银行卡信息）",
        ],
    ),
    "a field added": (
        lambda text: variants.payout_field(
            text,
            '<spiffworkflow:property name="field.bank_reference" value="reference required" />'
            '<spiffworkflow:property name="field.paid_on" value="date" />',
        ),
        [
            "打卡发放 · 用户任务 · 财务发放人员 [changed]",
            "  新增字段:  → paid_on：日期（年-月-日）",
        ],
    ),
    "a field no longer required": (
        lambda text: variants.payout_field(
            text, '<spiffworkflow:property name="field.bank_reference" value="reference" />'
        ),
        [
            "打卡发放 · 用户任务 · 财务发放人员 [changed]",
            "  填报字段: 银行转账流水号：单行凭证号，同意时必填 → 银行转账流水号：单行凭证号",
        ],
    ),
    "a task's English name only": (
        variants.township_review_renamed_in_english,
        [
            "乡镇审查 · 用户任务 · 乡镇审查人员 [changed]",
            "  名称: Township review → Township check",
        ],
    ),
    "a task's Chinese and English names": (
        variants.renamed_township_review,
        ["乡镇审核 · 用户任务 · 乡镇审查人员 [changed]", "  名称: 乡镇审查 → 乡镇审核"],
    ),
    "an end's status": (
        variants.revoked_ends_rejected,
        ["撤销 · 结束事件 · 县审核认定人员 [changed]", "  在此结束时的案件状态: 已撤销 → 不予批准"],
    ),
}


@pytest.mark.parametrize("kind", list(EVERY_CHANGE))
def test_every_kind_of_change_is_said_by_name_and_lane(kind: str) -> None:
    edit, expected = EVERY_CHANGE[kind]
    assert _said(*_edited(edit)) == expected


def test_a_boundary_timer_added_names_its_task() -> None:
    """Every timer is 超期 and every escalation's end 督办: each is told by its task."""
    before, after = variants.payout_without_timer(variants.shipped()), variants.shipped()
    found = _full(before, after)
    timer, end = found.added
    assert (timer.id, timer.on, timer.on_en) == ("overdue_card_payout", "打卡发放", "Card payout")
    assert (end.id, end.after) == ("escalated_card_payout", "打卡发放")
    said = _said(before, after)
    assert said[0] == "打卡发放的超期 · 边界事件 · 财务发放人员 [added]"
    assert "打卡发放之后的督办 · 结束事件 · 财务发放人员 [added]" in said
    assert said[-1] == "  办理时限: 目录默认期限 → deadline('card_payout')"


def test_a_re_targeted_flow_is_one_change_naming_both_targets() -> None:
    found = _full(*_edited(variants.township_reject_to_correction))
    (gateway,) = found.changed
    (branch,) = gateway.changes
    assert isinstance(branch, FlowChange)
    assert branch.target_before is not None
    assert (branch.flow_before, branch.flow_after) == (
        "Flow_township_reject",
        "Flow_township_reject",
    )
    assert (branch.target_before.name, branch.target.name) == ("驳回", "补正材料")
    assert (branch.condition_before, branch.condition_after) == (REJECT, REJECT)
    marks = diff.marked(found)
    assert "Flow_township_reject" in marks["before_changed"]
    assert "Flow_township_reject" in marks["after_changed"]


def test_a_version_against_itself_says_nothing_with_scripts_and_timers() -> None:
    text = variants.shipped()
    assert _said(text, text) == []
    assert flow_diff.shown(_full(text, text), "zh_CN")["empty"]


def test_the_stored_counts_see_a_script_or_a_table_change() -> None:
    """The flow list's summary of a version (its stored counts) is not 'nothing changed'
    when only a script or a DMN table did."""
    before = variants.shipped().encode()
    after = variants.notice_script(variants.shipped(), "notice_ends_at = 1").encode()
    table = (variants.HARDSHIP.parent / "hardship_relief_eligibility.dmn").read_text()
    counts = diff_parts.counts(before, after, {"t.dmn": table}, {"t.dmn": table})
    assert counts == {
        "elements_added": 0,
        "elements_removed": 0,
        "elements_changed": 1,
        "decision_tables_changed": 0,
    }
    changed = table.replace("<text>False</text>", "<text>True</text>", 1)
    counts = diff_parts.counts(before, before, {"t.dmn": table}, {"t.dmn": changed})
    assert (counts["elements_changed"], counts["decision_tables_changed"]) == (0, 1)


def test_dmn_tables_rule_by_rule() -> None:
    table = (variants.HARDSHIP.parent / "hardship_relief_eligibility.dmn").read_text()
    first, second = "Rule_hardship_relief_eligibility_1", "Rule_hardship_relief_eligibility_2"
    changed = table.replace('hitPolicy="UNIQUE"', 'hitPolicy="FIRST"')
    start = changed.index(f'<rule id="{first}">')
    end = changed.index("</rule>", start) + len("</rule>")
    rule = changed[start:end]
    changed = changed[:start] + changed[end:]  # rule 1 removed, and added under another id
    changed = changed.replace(
        "</decisionTable>", rule.replace(first, "Rule_new") + "</decisionTable>"
    )
    at = changed.index(f'<rule id="{second}">')
    changed = changed[:at] + changed[at:].replace("<text>True</text>", "<text>False</text>", 1)
    found = diff_parts.table_changes(
        {"hardship_relief_eligibility.dmn": table, "old.dmn": table},
        {"hardship_relief_eligibility.dmn": changed, "new.dmn": table},
    )
    assert [(t.file, t.change) for t in found] == [
        ("hardship_relief_eligibility.dmn", "changed"),
        ("new.dmn", "added"),
        ("old.dmn", "removed"),
    ]
    dmn = found[0]
    assert (dmn.hit_policy_before, dmn.hit_policy_after) == ("UNIQUE", "FIRST")
    rules = {(rule.id, rule.change) for rule in dmn.rules}
    assert rules == {(first, "removed"), ("Rule_new", "added"), (second, "changed")}
    (new,) = [rule for rule in dmn.rules if rule.change == "added"]
    assert new.description == "事件不在救助范围 event not covered"
    assert new.after is not None
    assert new.after.startswith('? not in ("accidental_death"')
    assert ' | - | - → "ineligible" | ' in new.after
    (edited,) = [rule for rule in dmn.rules if rule.change == "changed"]
    assert edited.before is not None
    assert edited.after is not None
    assert " | True | - → " in edited.before
    assert " | False | - → " in edited.after
    # Said in Chinese on the page, by file, each rule by its description.
    words = flow_diff.Words("zh_CN")
    shown = flow_diff._table(words, dmn)
    labels = [item["label"] for item in shown["items"]]
    assert labels[0] == "命中策略"
    assert "新增规则：事件不在救助范围 event not covered" in labels
    assert "删除规则：事件不在救助范围 event not covered" in labels
    assert diff_parts.table_changes({"a.dmn": table}, {"a.dmn": table}) == []


HARDSHIP_LIMITS = {"village_investigation": 5, "card_payout": 10, "default": 10}


def test_a_deadline_says_the_catalogue_s_working_days() -> None:
    """A task's own timer reading the catalogue (deadline('step')) and the catalogue's
    default for a task without one, side by side with their working days: removing the
    village investigation's timer takes it from 5 days to the default 10."""
    before = variants.shipped()
    after = variants.without_timer(before, "village_investigation")
    shown = flow_diff.shown(_full(before, after), "zh_CN", HARDSHIP_LIMITS)
    (task,) = [row for row in shown["changed"] if row["id"] == "village_investigation"]
    (item,) = task["items"]
    assert (item["label"], item["before"], item["after"]) == (
        "办理时限",
        "deadline('village_investigation')",
        "目录默认期限",
    )
    assert (item["code_before"], item["code_after"]) == (True, False)
    assert (item["note_before"], item["note_after"]) == (
        "目录规定 5 个工作日",
        "目录规定 10 个工作日",
    )
    # A timer of its own that is not the catalogue's: no days to add; no limits, none said.
    words = flow_diff.Words("en", HARDSHIP_LIMITS)
    assert words.deadline("'P5D'") == ("'P5D'", True, "")
    assert words.deadline("deadline('township_review')")[2] == "10 working days in the catalogue"
    assert flow_diff.Words("zh_CN").deadline(None) == ("目录默认期限", False, "")


def test_fields_are_said_one_by_one() -> None:
    """Of a task's fields, only the ones added, removed or changed, each by itself."""
    two = variants.payout_field(
        variants.shipped(),
        '<spiffworkflow:property name="field.bank_reference" value="reference required" />'
        '<spiffworkflow:property name="field.paid_on" value="date" />',
    )
    after = variants.payout_field(
        variants.shipped(),
        '<spiffworkflow:property name="field.bank_reference" value="reference" />'
        '<spiffworkflow:property name="field.fee" value="decimal min=0 max=100" />',
    )
    assert _said(two, after) == [
        "打卡发放 · 用户任务 · 财务发放人员 [changed]",
        "  填报字段: 银行转账流水号：单行凭证号，同意时必填 → 银行转账流水号：单行凭证号",
        "  新增字段:  → fee：数字，不少于 0，不超过 100",
        "  删除字段: paid_on：日期（年-月-日） → ",
    ]
