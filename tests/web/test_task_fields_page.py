"""The decision form of the case page: the fields a task declares, and reasons for refusals
(issue 18 §1), as a person posts them from the console."""

from __future__ import annotations

from tests.conftest import Api, Server
from tests.programs.test_special_assistance import enrol
from tests.web.pages import flash as _flash
from tests.web.pages import logged_in
from tests.web.pages import task_id as _task_id


def test_a_reject_without_a_reason_is_refused_in_chinese_and_changes_nothing(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    page = logged_in(server, "cw.lizhuang")
    task_id = _task_id(page.get(f"/applications/{case_id}").text)
    for decision in ("reject", "return"):
        response = page.post(
            f"/applications/{case_id}/decision",
            {"task_id": task_id, "decision": decision, "comment": "  "},
        )
        assert response.status_code == 303
        assert "理由" in _flash(page.get(f"/applications/{case_id}").text)
    assert api.case(case_id)["tasks"][0]["id"] == int(task_id)  # still open
    assert api.case(case_id)["status"] == "in_progress"


def test_the_annual_review_form_takes_the_parents_and_sends_a_change_to_the_county(
    server: Server, api: Api
) -> None:
    case_id = enrol(api)["id"]
    assert api.post("/reviews/yearly", as_="ca.county", json={"year": 2027}).status_code == 200
    page = logged_in(server, "cw.lizhuang")
    html = page.get(f"/applications/{case_id}").text
    assert 'name="data.eligible_parents"' in html
    assert "享受扶助人数" in html
    path = f"/applications/{case_id}/decision"
    task_id = _task_id(html)

    refused = page.post(
        path, {"task_id": task_id, "decision": "approve", "data.eligible_parents": "1.5"}
    )
    assert refused.status_code == 303
    assert "请检查" in _flash(page.get(f"/applications/{case_id}").text)
    assert api.task_for(case_id, as_="cw.lizhuang")["id"] == int(task_id)

    page.post(path, {"task_id": task_id, "decision": "approve", "data.eligible_parents": "1"})
    api.act(case_id, "approve", as_="vh.lizhuang")
    assert api.task_for(case_id, as_="ca.county")["spec"] == "county_confirm_change"
    assert api.case(case_id)["eligible_parents"] == 2
    # The county sees what it decides on: what it approved, and what the village proposes.
    county_page = logged_in(server, "ca.county").get(f"/applications/{case_id}").text
    assert "待您审批的发放变更" in county_page
    assert "2 → <strong>1</strong>" in county_page


def test_the_payout_form_takes_the_bank_reference_as_declared(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    for user in ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county"):
        api.act(case_id, "approve", as_=user)
    page = logged_in(server, "fo.county")
    html = page.get(f"/applications/{case_id}").text
    assert 'name="data.bank_reference"' in html
    assert "银行转账流水号" in html
    path = f"/applications/{case_id}/decision"
    form = {"task_id": _task_id(html), "decision": "approve"}
    page.post(path, form)  # no reference: refused
    assert api.case(case_id)["status"] == "approved"
    page.post(path, {**form, "data.bank_reference": "BOC-2026-0001"})
    case = api.case(case_id)
    assert (case["status"], case["payout"]["bank_reference"]) == ("paid", "BOC-2026-0001")


def test_a_comment_with_control_characters_is_refused_in_words(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    page = logged_in(server, "cw.lizhuang")
    task_id = _task_id(page.get(f"/applications/{case_id}").text)
    page.post(
        f"/applications/{case_id}/decision",
        {"task_id": task_id, "decision": "approve", "comment": "核实\x1b[31m无误"},
    )
    assert "控制字符" in _flash(page.get(f"/applications/{case_id}").text)
    assert api.case(case_id)["tasks"][0]["id"] == int(task_id)
