"""Task data is a contract the flow declares, and a change to what is paid goes to the county.

Issue 18 §1, over real HTTP on both databases: completion takes exactly the fields a user task
declares (``field.*`` properties in the flow), typed and bounded; no task writes a variable the
service set; what a task's data changed is in its audit event; a yearly review that changes
the parents paid or the card paid into waits for a county approver before any payout uses it;
a reject or return needs a reason.
"""

from __future__ import annotations

import pytest

from tests.conftest import Api, Backend
from tests.conftest import assert_problem as problem
from tests.programs.test_special_assistance import (
    STANDARD,
    enrol,
    generate,
    payouts_of,
    premiums_of,
)
from tests.tasks.test_rules import snapshot, walk

PREMIUM = 100000  # per insured parent, to the pension fund (never on the household's payout)
# A card number that passes the Luhn check, as a person types it (groups of four).
NEW_CARD = "6228 4829 1417 7763 174"
NEW_CARD_DIGITS = NEW_CARD.replace(" ", "")


def _field_errors(body: dict) -> dict[str, str]:
    return {error["field"]: error["code"] for error in body["errors"]}


# --- declared fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"county": "999999"}, "data.county", "data-field-undeclared"),
        ({"priority": True}, "data.priority", "data-field-undeclared"),
        ({"eligible_parents": 2}, "data.eligible_parents", "data-field-undeclared"),
        ({"note_no": 7}, "data.note_no", "data-field-undeclared"),
    ],
    ids=["county", "priority", "money-field-elsewhere", "anything"],
)
def test_a_task_takes_only_what_it_declares(
    api: Api, backend: Backend, ready_case: dict, data: dict, field: str, code: str
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    before = snapshot(backend, case_id)
    body = problem(api.decide(task["id"], "approve", as_="cw.lizhuang", data=data), 422)
    assert _field_errors(body) == {field: code}
    assert body["code"] == code
    assert snapshot(backend, case_id) == before
    assert api.decide(task["id"], "approve", as_="cw.lizhuang").status_code == 200


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (True, "data-field-type"),
        (12345, "data-field-type"),
        ("", "data-field-required"),
        ("ICBC\n77", "text-control-character"),
        ("A" * 101, "data-field-too-long"),
        ("ICBC\u000077", "text-control-character"),
    ],
    ids=["boolean", "number", "empty", "two-lines", "too-long", "control"],
)
def test_the_payout_reference_is_typed_as_the_flow_declares(
    api: Api, backend: Backend, ready_case: dict, value: object, code: str
) -> None:
    case_id = ready_case["id"]
    walk(api, case_id, 4)
    task = api.task_for(case_id, as_="fo.county")
    before = snapshot(backend, case_id)
    response = api.decide(task["id"], "approve", as_="fo.county", data={"bank_reference": value})
    assert _field_errors(problem(response, 422)) == {"data.bank_reference": code}
    assert snapshot(backend, case_id) == before


# --- the yearly review: what is paid changes only with the county ------------------------------


def _review(api: Api, *, spouse: bool = True) -> tuple[int, dict]:
    case_id = enrol(api, spouse=spouse)["id"]
    assert api.post("/reviews/yearly", as_="ca.county", json={"year": 2027}).status_code == 200
    return case_id, api.task_for(case_id, as_="cw.lizhuang")


@pytest.mark.parametrize("value", [True, 2.0, "2", 3, 0], ids=["true", "float", "text", "3", "0"])
def test_eligible_parents_is_a_whole_number_of_parents_or_a_422(
    api: Api, backend: Backend, value: object
) -> None:
    case_id, task = _review(api)
    response = api.decide(
        task["id"], "approve", as_="cw.lizhuang", data={"eligible_parents": value}
    )
    body = problem(response, 422)
    assert set(_field_errors(body)) == {"data.eligible_parents"}
    assert api.task_for(case_id, as_="cw.lizhuang")["id"] == task["id"]


def test_a_review_cannot_count_more_parents_than_the_case_names(api: Api) -> None:
    case_id, task = _review(api, spouse=False)
    assert api.case(case_id)["eligible_parents"] == 1
    response = api.decide(task["id"], "approve", as_="cw.lizhuang", data={"eligible_parents": 2})
    assert problem(response, 422)["code"] == "eligible-parents-above-record"


def test_fewer_parents_wait_for_the_county_before_the_year_is_paid(api: Api) -> None:
    case_id, task = _review(api)
    done = api.decide(task["id"], "approve", as_="cw.lizhuang", data={"eligible_parents": 1})
    assert done.status_code == 200, done.text
    api.act(case_id, "approve", as_="vh.lizhuang")

    county = api.task_for(case_id, as_="ca.county")
    assert county["spec"] == "county_confirm_change"
    assert api.case(case_id)["eligible_parents"] == 2  # the village's word is a proposal
    generate(api, 2027)
    assert "2027" not in payouts_of(api, case_id)

    api.act(case_id, "approve", as_="ca.county")
    assert api.case(case_id)["eligible_parents"] == 1
    generate(api, 2027)
    assert payouts_of(api, case_id)["2027"]["amount_fen"] == 2 * STANDARD[2027]
    assert premiums_of(api, case_id)["2027"]["amount_fen"] == PREMIUM  # one parent insured

    events = api.events(case_id)
    [change] = [e for e in events if e["action"] == "payment_terms_changed"]
    assert (change["actor"], change["role"]) == ("ca.county", "county_approver")
    assert (change["before"], change["after"]) == ({"eligible_parents": 2}, {"eligible_parents": 1})
    [village] = [
        e
        for e in events
        if e["action"] == "task_completed"
        and e["actor"] == "cw.lizhuang"
        and e["before"].get("task") == "annual_review"
    ]
    assert village["before"]["data"] == {"eligible_parents": 2}
    assert village["after"]["data"] == {"eligible_parents": 1}


def test_a_county_that_refuses_the_change_keeps_what_it_approved(api: Api) -> None:
    case_id, task = _review(api)
    api.decide(task["id"], "approve", as_="cw.lizhuang", data={"eligible_parents": 1})
    api.act(case_id, "approve", as_="vh.lizhuang")
    api.act(case_id, "reject", as_="ca.county", comment="两位扶助对象均健在，维持原核定")
    case = api.case(case_id)
    assert (case["status"], case["eligible_parents"]) == ("enrolled", 2)
    generate(api, 2027)
    assert payouts_of(api, case_id)["2027"]["amount_fen"] == 2 * 2 * STANDARD[2027]
    assert premiums_of(api, case_id)["2027"]["amount_fen"] == 2 * PREMIUM
    assert not [e for e in api.events(case_id) if e["action"] == "payment_terms_changed"]


def test_an_unchanged_review_needs_no_county_step(api: Api) -> None:
    case_id, task = _review(api)
    api.decide(task["id"], "approve", as_="cw.lizhuang", data={"eligible_parents": 2})
    api.act(case_id, "approve", as_="vh.lizhuang")
    assert api.get("/tasks", as_="ca.county", params={"application_id": case_id}).json() == []
    generate(api, 2027)
    assert payouts_of(api, case_id)["2027"]["amount_fen"] == 2 * 2 * STANDARD[2027]
    assert premiums_of(api, case_id)["2027"]["amount_fen"] == 2 * PREMIUM


def test_a_new_card_goes_to_the_county_and_the_trail_never_holds_it_in_full(api: Api) -> None:
    case_id, task = _review(api)
    done = api.decide(task["id"], "approve", as_="cw.lizhuang", data={"bank_card": NEW_CARD})
    assert done.status_code == 200, done.text
    api.act(case_id, "approve", as_="vh.lizhuang")
    assert api.task_for(case_id, as_="ca.county")["spec"] == "county_confirm_change"
    api.act(case_id, "approve", as_="ca.county")

    case = api.case(case_id)
    assert case["household"]["bank_card"].endswith(NEW_CARD_DIGITS[-4:])
    trail = api.get(
        "/audit/events", as_="au.county", params={"application_id": case_id, "limit": 1000}
    ).text
    assert NEW_CARD_DIGITS not in trail
    assert NEW_CARD not in trail
    [change] = [e for e in api.events(case_id) if e["action"] == "payment_terms_changed"]
    assert change["after"]["bank_card"].endswith(NEW_CARD_DIGITS[-4:])
    assert "*" in change["after"]["bank_card"]


def test_a_card_that_fails_the_luhn_check_is_refused(api: Api) -> None:
    _case_id, task = _review(api)
    response = api.decide(
        task["id"], "approve", as_="cw.lizhuang", data={"bank_card": "6228 4829 1417 7763 175"}
    )
    assert _field_errors(problem(response, 422)) == {"data.bank_card": "data-field-type"}


# --- a reason for every reject and return ----------------------------------------------------


@pytest.mark.parametrize("decision", ["reject", "return"])
@pytest.mark.parametrize("comment", [None, "", "   \n "], ids=["none", "empty", "blank"])
def test_reject_and_return_need_a_reason(
    api: Api, backend: Backend, ready_case: dict, decision: str, comment: str | None
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    before = snapshot(backend, case_id)
    body = {"decision": decision, "comment": comment, "data": {}}
    response = api.post(f"/tasks/{task['id']}/complete", as_="cw.lizhuang", json=body)
    assert _field_errors(problem(response, 422)) == {"comment": "comment-required"}
    assert snapshot(backend, case_id) == before


def test_a_bulk_reject_without_a_reason_is_refused_for_that_item(
    api: Api, ready_case: dict
) -> None:
    walk(api, ready_case["id"], 2)
    task = api.task_for(ready_case["id"], as_="tr.dongcheng")
    body = {"items": [{"task_id": task["id"], "decision": "reject"}]}
    response = api.post("/tasks/bulk-complete", as_="tr.dongcheng", json=body)
    assert response.status_code == 422, response.text
    assert "comment-required" in response.text
    assert api.task_for(ready_case["id"], as_="tr.dongcheng")["id"] == task["id"]
