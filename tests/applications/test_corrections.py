"""Return for correction: the caseworker edits the case, the trail shows what changed, masked."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.conftest import Api, Backend, assert_problem
from tests.factories import application, bank_card, id_number


def _correct(api: Api, case_id: int, body: dict, *, as_: str = "cw.lizhuang"):
    return api.client.patch(f"/applications/{case_id}", json=body, headers=api.headers(as_))


def _returned(api: Api, ready_case: dict) -> int:
    case_id = ready_case["id"]
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")
    api.act(case_id, "return", as_="tr.dongcheng", comment="银行卡号有误")
    assert api.case(case_id)["status"] == "returned"
    return case_id


def test_a_returned_case_is_corrected_and_the_trail_shows_what_changed(
    api: Api, ready_case: dict
) -> None:
    case_id = _returned(api, ready_case)
    new_card, spouse = bank_card(), id_number()
    response = _correct(
        api,
        case_id,
        {
            "household": {"bank_card": new_card},
            "spouse": {"name": "李建国", "id_number": spouse},
        },
    )
    assert response.status_code == 200, response.text
    case = response.json()
    assert (
        case["household"]["bank_card"] == new_card[:4] + "*" * (len(new_card) - 8) + new_card[-4:]
    )
    assert case["spouse"]["id_number"].endswith(spouse[-4:])
    assert "spouse_id_card" in case["missing_documents"]  # the new spouse needs papers too

    events = [e for e in api.events(case_id) if e["action"] == "application_corrected"]
    assert len(events) == 1
    event = events[0]
    assert set(event["after"]) == {"bank_card", "spouse_name", "spouse_id_number"}
    assert event["before"]["spouse_id_number"] is None
    assert new_card not in str(event)  # masked in the trail
    assert spouse not in str(event)

    assert api.attach(case_id, "spouse_id_card").status_code == 201
    api.act(case_id, "approve", as_="cw.lizhuang")  # resubmitted: up the chain again
    assert api.case(case_id)["status"] == "in_progress"


def test_correction_is_refused_while_the_case_is_above_the_village(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")
    assert_problem(_correct(api, case_id, {"household": {"bank_card": bank_card()}}), 409)


def test_a_correction_that_makes_the_case_ineligible_changes_nothing(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    before = api.case(case_id)
    last_year = date(date.today().year - 1, 6, 1).isoformat()
    response = _correct(api, case_id, {"event": {"kind": "child_death", "date": last_year}})
    assert_problem(response, 422, "ineligible")
    after = api.case(case_id)
    assert after["event"] == before["event"]
    assert after["timeline"] == before["timeline"]


def test_a_correction_cannot_take_another_household_s_identity(api: Api, ready_case: dict) -> None:
    other = application()
    api.submit(other)
    response = _correct(api, ready_case["id"], {"applicant": other["applicant"]})
    assert_problem(response, 409, "duplicate-case")


def test_only_the_village_caseworker_corrects(api: Api, ready_case: dict) -> None:
    body = {"household": {"certificate_holder": True}}
    assert_problem(_correct(api, ready_case["id"], body, as_="vh.lizhuang"), 403)
    assert_problem(_correct(api, ready_case["id"], body, as_="cw.hekou"), 404)
    assert_problem(_correct(api, ready_case["id"], {"unknown": 1}), 422, "invalid-input")


def test_county_approval_applies_the_eligibility_table_again(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    for user in ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng"):
        api.act(case_id, "approve", as_=user)
    # Facts that changed after submission (here: found out at the county's on-site check).
    with backend.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE application SET event_kind = 'child_disability' WHERE id = :id"),
            {"id": case_id},
        )
    task = api.task_for(case_id, as_="ca.county")
    problem = assert_problem(api.decide(task["id"], "approve", as_="ca.county"), 422, "ineligible")
    assert problem["reason"]
    assert api.decide(task["id"], "reject", as_="ca.county").status_code == 200
