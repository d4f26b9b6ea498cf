"""农村双女结扎一次性4000元奖励 (seed 001 line 387): 4,000 CNY once per household to a rural
family of two daughters where one parent is sterilised, on the sterilisation certificate;
chained like emergency consolation (village, township, county, notice, card payout)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.conftest import Api, assert_problem
from tests.programs.households import couple_case, pay, upload_check

PROGRAM = "two_daughter_sterilisation_reward"
WIFE_BORN = (date(1975, 1, 1), date(1995, 12, 28))


def reward(kind: str = "sterilisation", **household: bool) -> dict[str, Any]:
    household = {"two_daughters_sterilised": True, **household}
    return couple_case(PROGRAM, kind, wife_born=WIFE_BORN, household=household)


def test_the_reward_runs_end_to_end_and_pays_4000_to_the_household_card(api: Api) -> None:
    case = api.submit(reward())
    assert case["eligibility"]["eligibility"] == "eligible", case["eligibility"]
    assert case["event"]["kind"] == "sterilisation"
    assert case["required_documents"] == [
        "application_form",
        "id_card",
        "hukou",
        "bank_card",
        "spouse_id_card",
        "sterilisation_certificate",
    ]
    detail = pay(api, case, reference="TD-1")
    assert detail["payout"]["amount_fen"] == 400000
    assert detail["payout"]["amount_cny"] == "4000.00"
    assert detail["payout"]["rule"] == {"rule": "fixed", "program": PROGRAM, "amount_fen": 400000}
    actions = [event["action"] for event in api.events(case["id"])]
    assert actions.count("payout_paid") == 1


def test_the_village_cannot_approve_without_the_sterilisation_certificate(api: Api) -> None:
    case = api.submit(reward())
    for kind in case["required_documents"]:
        if kind != "sterilisation_certificate":
            assert api.attach(case["id"], kind).status_code == 201
    task = api.task_for(case["id"], as_="cw.lizhuang")
    problem = assert_problem(
        api.decide(task["id"], "approve", as_="cw.lizhuang"), 409, "missing-documents"
    )
    assert problem["missing"] == ["sterilisation_certificate"]


def test_a_household_gets_the_reward_once(api: Api) -> None:
    body = reward()
    pay(api, api.submit(body), reference="TD-2")
    again = assert_problem(api.post("/applications", as_="cw.lizhuang", json=body), 409)
    assert again["code"] == "duplicate-case"
    assert again["params"]["program"] == PROGRAM


def test_a_family_without_two_daughters_is_refused_with_the_table_s_reason(api: Api) -> None:
    body = reward(two_daughters_sterilised=False)
    response = api.post("/applications", as_="cw.lizhuang", json=body)
    problem = assert_problem(response, 422, "ineligible")
    assert problem["params"]["reason"] == problem["reason"]
    assert "双女户" in problem["reason"]
    # Refused, so the household is not claimed: ticked, it is taken.
    body["household"]["two_daughters_sterilised"] = True
    assert api.submit(body)["eligibility"]["eligibility"] == "eligible"


def test_only_a_sterilisation_is_covered(api: Api) -> None:
    response = api.post("/applications", as_="cw.lizhuang", json=reward("child_death"))
    problem = assert_problem(response, 422, "invalid-input")
    assert problem["errors"][0]["field"] == "event.kind"


def test_a_guardian_may_not_apply(api: Api) -> None:
    body = reward()
    body["relation"] = "guardian"
    response = api.post("/applications", as_="cw.lizhuang", json=body)
    assert "父母" in assert_problem(response, 422, "ineligible")["reason"]


def test_the_flow_passes_upload_validation(api: Api) -> None:
    assert upload_check(api, PROGRAM) == {"valid": True, "problems": []}
