"""Names and decisions from the flow (engine/names.py, issue 20): an element's Chinese name
and its ``name.en`` property, the legacy "中文 English" names, what each shipped task offers,
and the upload's refusal of a declaration it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from service.engine import (
    DEFAULT_DECISIONS,
    DecisionOption,
    InvalidFlow,
    ParsedFlow,
    display_names,
    legacy_names,
    parse_flow,
)
from service.engine.names import declared_decisions
from service.flows import rules

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
SHIPPED = WORKFLOWS / "emergency_consolation.bpmn"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.fixture(scope="module")
def flows() -> dict[str, ParsedFlow]:
    return {path.stem: parse_flow(path.read_bytes()) for path in WORKFLOWS.glob("**/*.bpmn")}


@pytest.mark.parametrize(
    ("name", "names"),
    [
        ("村调查 village investigation", ("村调查", "village investigation")),
        ("重新提交 resubmit (approve)", ("重新提交", "resubmit (approve)")),
        (
            "特别扶助年审 special assistance annual review",
            ("特别扶助年审", "special assistance annual review"),
        ),
        ("举报属实，撤销认定 upheld", ("举报属实，撤销认定", "upheld")),
        ("村调查", ("村调查", "村调查")),
        ("village investigation", ("village investigation", "village investigation")),
        ("第 2 次 复核", ("第 2 次 复核", "第 2 次 复核")),
        ("", ("", "")),
    ],
)
def test_a_name_without_name_en_is_read_by_the_legacy_rule(
    name: str, names: tuple[str, str]
) -> None:
    assert legacy_names(name) == names


def test_every_shipped_element_has_a_chinese_name_and_an_english_one(
    flows: dict[str, ParsedFlow],
) -> None:
    for path in WORKFLOWS.glob("**/*.bpmn"):
        chinese = etree.fromstring(display_names(path.read_bytes(), "zh_CN", {}))
        english = etree.fromstring(display_names(path.read_bytes(), "en", {}))
        named = [e for e in chinese.iter(f"{BPMN}*") if e.get("name")]
        assert named, path
        for element in english.iter(f"{BPMN}*"):
            local = etree.QName(element).localname
            if local in ("lane", "signal", "process") or not element.get("name"):
                continue
            # No Chinese left in an English name, no ASCII-only name on a Chinese page.
            assert element.get("name").isascii(), (path, element.get("id"))
        for element in named:
            if etree.QName(element).localname in ("lane", "signal", "process"):
                continue
            assert not element.get("name").isascii(), (path, element.get("id"))
    for flow in flows.values():
        for task in flow.user_tasks:
            assert task.name != task.name_en, task
            assert task.name_en.isascii(), task


def test_a_diagram_names_lanes_by_their_role_and_keeps_ids_and_conditions() -> None:
    shown = display_names(SHIPPED.read_bytes(), "en", {"caseworker": "Village caseworker"})
    root = etree.fromstring(shown)
    lanes = {lane.get("id"): lane.get("name") for lane in root.iter(f"{BPMN}lane")}
    assert lanes["Lane_caseworker"] == "Village caseworker"
    assert lanes["Lane_finance_officer"] == "finance_officer"  # no name given: the code
    assert b"decision == 'approve'" in shown
    assert b'id="village_investigation" name="Village investigation"' in shown


def _codes(flow: ParsedFlow, task: str) -> list[str]:
    declared = flow.user_task(task)
    assert declared is not None
    return [option.code for option in declared.decisions]


def test_each_shipped_task_offers_what_its_gateway_really_does(
    flows: dict[str, ParsedFlow],
) -> None:
    for key in ("emergency_consolation", "hardship_relief", "emergency_consolation_v2"):
        flow = flows[key]
        for task in ("village_investigation", "village_cosign", "township_review"):
            assert flow.user_task(task).decisions == DEFAULT_DECISIONS  # type: ignore[union-attr]
        assert _codes(flow, "correction") == ["approve", "reject"]
        assert _codes(flow, "card_payout") == ["approve", "return"]
        assert _codes(flow, "objection_review") == ["reject", "approve", "return"]
        assert rules.problems(flow) == []
    correction = flows["emergency_consolation"].user_task("correction")
    assert correction is not None
    resubmit = correction.decisions[0]
    assert (resubmit.name("zh_CN"), resubmit.name("en")) == ("重新提交", "Resubmit")
    uphold = flows["hardship_relief"].user_task("objection_review").decisions[0]  # type: ignore[union-attr]
    assert uphold.name("en") == "Uphold: the case is revoked"
    assert uphold.name("zh_CN") == "举报属实，撤销认定"
    assert uphold.hint("en").startswith("The approval is revoked")
    assert uphold.hint("zh_CN") == "认定撤销，不再发放"
    assert _codes(flows["special_assistance"], "correction") == ["approve", "reject"]
    review = flows["special_assistance_review"]
    for task in ("annual_review", "review_cosign", "county_confirm_change"):
        assert _codes(review, task) == ["approve", "reject", "return"]
    keep = review.user_task("county_confirm_change").decisions[1]  # type: ignore[union-attr]
    assert (keep.code, keep.name("zh_CN")) == ("reject", "维持原核定")


@pytest.mark.parametrize(
    ("value", "option"),
    [
        ("重新提交 | Resubmit", DecisionOption("approve", "重新提交", "Resubmit")),
        (" 同意|Approve | 说明 ", DecisionOption("approve", "同意", "Approve", "说明", "说明")),
        (
            "同意 | Approve | 说明 | Hint",
            DecisionOption("approve", "同意", "Approve", "说明", "Hint"),
        ),
    ],
)
def test_a_declaration_reads_names_and_hints(value: str, option: DecisionOption) -> None:
    assert declared_decisions({"decision.approve": value}) == ((option,), [])


def _declaring(value_of: dict[str, str]) -> bytes:
    """The shipped flow with the county's task also declaring ``value_of`` (property → value),
    in the properties that hold its English name."""
    text = SHIPPED.read_text(encoding="utf-8")
    task = '<bpmn:userTask id="county_verification" name="县审核认定">\n'
    opening = "<spiffworkflow:properties>\n"
    start = text.index(task)
    at = text.index(opening, start) + len(opening)
    assert at - start < 200  # the task's own properties
    properties = "".join(
        f'<spiffworkflow:property name="{name}" value="{value}" />'
        for name, value in value_of.items()
    )
    return (text[:at] + properties + text[at:]).encode()


@pytest.mark.parametrize(
    ("declaration", "words"),
    [
        ({"decision.maybe": "也许 | Maybe"}, "'maybe' is not a decision"),
        ({"decision.approve": " | Approve"}, "both names are required"),
        ({"decision.reject": "驳回"}, "write the value as '中文 | English'"),
        ({"decision.return": "a | b | c | d | e"}, "write the value as"),
    ],
    ids=["unknown-code", "empty-name", "one-name", "too-many-parts"],
)
def test_upload_refuses_a_declaration_it_cannot_read_naming_the_task(
    declaration: dict[str, str], words: str
) -> None:
    with pytest.raises(InvalidFlow) as refused:
        parse_flow(_declaring(declaration))
    [problem] = refused.value.problems
    assert problem.element == "county_verification"
    assert "user task 'county_verification'" in problem.reason
    assert words in problem.reason


def test_a_decision_a_task_offers_must_be_routed_and_one_it_does_not_need_not_be() -> None:
    # The county's task offers only approve and reject: its gateway's return branch is unused,
    # which is allowed; every decision it offers is routed.
    narrowed = parse_flow(
        _declaring({"decision.approve": "认定 | Approve", "decision.reject": "不予认定 | Reject"})
    )
    assert [o.code for o in narrowed.user_task("county_verification").decisions] == [  # type: ignore[union-attr]
        "approve",
        "reject",
    ]
    assert rules.problems(narrowed) == []
