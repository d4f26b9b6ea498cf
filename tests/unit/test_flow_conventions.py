"""The conventions an uploaded flow may state in the standard ways, as the engine runs them:
a task's role from a candidate group is the role its task is created for, and an end's status
from its name or a property is the status the case ends with (issue 21 §2)."""

from __future__ import annotations

import pytest

from service.engine import parse_flow
from service.engine.conventions import ROLE_WORDS
from service.flows import rules
from service.web.i18n import translations
from service.web.vocabulary import term
from tests.flows.test_docs_example import example
from tests.flows.test_validator_reasons import SHIPPED, accepted, with_cosign
from tests.unit.test_shipped_flows import started, walk

# The five roles of a chain as the console names them in Chinese.
ROLE_WORDS_ZH = {
    "caseworker": "村计生专干",
    "village_head": "村委会主任",
    "township_reviewer": "乡镇审查人员",
    "county_approver": "县审核认定人员",
    "finance_officer": "财务发放人员",
}


def test_a_task_may_take_its_role_from_candidate_groups() -> None:
    xmlns = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    text = with_cosign(attributes=' camunda:candidateGroups="county_approver"', lane=False)
    text = text.replace("<bpmn:definitions ", f"<bpmn:definitions {xmlns}", 1)
    property_ = (
        '\n          <spiffworkflow:property name="decision.approve" value="会签 | Co-sign" />'
    )
    text = text.replace('Township co-signature" />', 'Township co-signature" />' + property_)
    flow = accepted(text)
    assert flow.user_task("township_cosign").lane == "county_approver"
    instance = started(flow, "hardship_relief")
    steps = walk(instance, ["approve"] * 4)
    assert steps[-1] == ("township_cosign", "county_approver")  # the task's role at run time


@pytest.mark.parametrize(
    ("end", "status"),
    [
        ('<bpmn:endEvent id="Event_0paid" name="已发放">', "已发放 (its Chinese name)"),
        ('<bpmn:endEvent id="Event_0paid" name="paid">', "paid (its status code as name)"),
        ('<bpmn:endEvent id="Event_0paid" name="完成">', "a status property"),
    ],
)
def test_an_end_may_state_its_status_by_name_or_property(end: str, status: str) -> None:
    text = SHIPPED.replace('"end_paid"', '"Event_0paid"').replace(">end_paid<", ">Event_0paid<")
    text = text.replace('<bpmn:endEvent id="Event_0paid" name="已发放">', end, 1)
    if "完成" in end:
        paid = '<spiffworkflow:property name="name.en" value="Paid" />'
        text = text.replace(paid, paid + '<spiffworkflow:property name="status" value="paid" />', 1)
    flow = accepted(text)
    assert flow.status_of("Event_0paid") == "paid", status
    assert rules.binding_problems(flow, kind="one_time", review=False) == []
    instance = started(flow, "hardship_relief")
    walk(instance, ["approve"] * 5)
    assert instance.outcome() == "end_paid"  # what applications read as the case's status


def test_the_example_in_docs_flows_md_runs_to_paid() -> None:
    flow = parse_flow(example())
    instance = started(flow, "minimal_relief")
    steps = walk(instance, ["approve"] * 3)
    assert steps == [
        ("village_investigation", "caseworker"),
        ("county_verification", "county_approver"),
        ("card_payout", "finance_officer"),
    ]
    assert instance.outcome() == "end_paid"


def test_a_lane_may_be_named_by_its_role_s_words_as_the_console_shows_them() -> None:
    """An office names its lanes in Chinese (村计生专干…), as the console names the roles: the
    flow runs with the same roles as the shipped one, whose lanes carry the role codes."""
    text = SHIPPED
    chinese = ROLE_WORDS_ZH
    for role, words in chinese.items():
        text = text.replace(
            f'<bpmn:lane id="Lane_{role}" name="{role}">',
            f'<bpmn:lane id="Lane_{role}" name="{words}">',
        )
    assert all(f'name="{words}">' in text for words in chinese.values())
    flow = accepted(text)
    steps = walk(started(flow, "hardship_relief"), ["approve"] * 5)
    shipped = walk(started(accepted(SHIPPED), "hardship_relief"), ["approve"] * 5)
    assert steps == shipped
    assert {role for _, role in steps} == set(chinese)


def test_the_engine_s_role_words_are_the_console_s() -> None:
    """conventions.ROLE_WORDS reads a lane's name with the words the console shows for each
    role (web/vocabulary.py's English, the catalogue's Chinese): the two may not drift."""
    console = translations("zh_CN")
    for role in ROLE_WORDS_ZH:
        english = term("role", role)
        assert ROLE_WORDS[english] == role
        assert ROLE_WORDS[console.gettext(english)] == role
        assert ROLE_WORDS_ZH[role] == console.gettext(english)
