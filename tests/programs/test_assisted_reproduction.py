"""圆梦行动 再生育补助 (seed 001 line 245): 3,000 CNY once per household to a certificate-holding
couple of childbearing age whose only child died and who undergo assisted reproduction, on the
hospital's certificate; chained like emergency consolation (village, township, county, notice,
card payout). Childbearing age is the woman under 49: national practice, not in the seeds."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.conftest import Api, assert_problem
from tests.factories import EC_DOCUMENTS, application
from tests.programs.households import couple_case, pay, upload_check

PROGRAM = "assisted_reproduction"
CHILDBEARING = (date(1985, 1, 1), date(1995, 12, 28))  # the wife is 30 to 41 in 2026
PAST_CHILDBEARING = (date(1960, 1, 1), date(1970, 12, 28))  # 55 and older in 2026


def dream(*, wife_born: tuple[date, date] = CHILDBEARING, **household: bool) -> dict[str, Any]:
    # The child died in an earlier year: the grant, unlike emergency consolation, sets no year.
    household = {"certificate_holder": True, **household}
    return couple_case(
        PROGRAM,
        "child_death",
        wife_born=wife_born,
        event_date=date(2024, 5, 2),
        household=household,
    )


def test_the_grant_runs_end_to_end_and_pays_3000_to_the_household_card(api: Api) -> None:
    case = api.submit(dream())
    assert case["program"] == PROGRAM
    assert case["eligibility"]["eligibility"] == "eligible", case["eligibility"]
    common, by_event = EC_DOCUMENTS[:4], EC_DOCUMENTS[4:]
    assert case["required_documents"] == [
        *common,
        "spouse_id_card",
        *by_event,
        "assisted_reproduction_certificate",
    ]
    detail = pay(api, case, reference="AR-1")
    assert detail["payout"]["amount_fen"] == 300000
    assert detail["payout"]["amount_cny"] == "3000.00"
    assert detail["payout"]["bank_reference"] == "AR-1"
    assert detail["payout"]["rule"] == {"rule": "fixed", "program": PROGRAM, "amount_fen": 300000}
    events = api.events(case["id"])
    steps = [(e["before"]["task"], e["role"]) for e in events if e["action"] == "task_completed"]
    assert steps == [
        ("village_investigation", "caseworker"),
        ("village_cosign", "village_head"),
        ("township_review", "township_reviewer"),
        ("county_verification", "county_approver"),
        ("card_payout", "finance_officer"),
    ]
    actions = [event["action"] for event in events]
    assert actions.count("application_submitted") == 1
    assert actions.count("payout_paid") == 1


def test_the_village_cannot_approve_without_the_hospital_certificate(api: Api) -> None:
    case = api.submit(dream())
    for kind in case["required_documents"]:
        if kind != "assisted_reproduction_certificate":
            assert api.attach(case["id"], kind).status_code == 201
    task = api.task_for(case["id"], as_="cw.lizhuang")
    problem = assert_problem(
        api.decide(task["id"], "approve", as_="cw.lizhuang"), 409, "missing-documents"
    )
    assert problem["missing"] == ["assisted_reproduction_certificate"]
    assert api.attach(case["id"], "assisted_reproduction_certificate").status_code == 201
    assert api.decide(task["id"], "approve", as_="cw.lizhuang").status_code == 200


def test_a_household_gets_the_grant_once(api: Api) -> None:
    body = dream()
    pay(api, api.submit(body), reference="AR-2")
    again = assert_problem(api.post("/applications", as_="cw.lizhuang", json=body), 409)
    assert again["code"] == "duplicate-case"
    assert again["params"]["program"] == PROGRAM
    # The husband applying, or the same card: the same household.
    husband = dream()
    husband["applicant"], husband["spouse"] = body["spouse"], body["applicant"]
    husband["relation"] = "father"
    refused = api.post("/applications", as_="cw.lizhuang", json=husband)
    assert assert_problem(refused, 409)["code"] == "duplicate-case"
    card = dream()
    card["household"]["bank_card"] = body["household"]["bank_card"]
    refused = api.post("/applications", as_="cw.lizhuang", json=card)
    assert assert_problem(refused, 409)["code"] == "duplicate-case"


def test_emergency_consolation_does_not_use_up_the_grant(api: Api) -> None:
    # Two programs of the seed for one loss: 紧急慰藉 this year, then the 再生育补助.
    body = dream()
    consolation = application(
        applicant_id=body["applicant"]["id_number"],
        spouse_id=body["spouse"]["id_number"],
    )
    consolation["household"] = dict(body["household"])
    api.submit(consolation)
    assert api.submit(body)["program"] == PROGRAM


def test_a_woman_past_childbearing_age_is_refused_with_the_table_s_reason(api: Api) -> None:
    response = api.post("/applications", as_="cw.lizhuang", json=dream(wife_born=PAST_CHILDBEARING))
    problem = assert_problem(response, 422, "ineligible")
    assert problem["params"]["reason"] == problem["reason"]
    assert "育龄" in problem["reason"]
    assert "49" in problem["reason"]


def test_a_disabled_child_is_not_covered(api: Api) -> None:
    body = couple_case(PROGRAM, "child_disability", wife_born=CHILDBEARING)
    problem = assert_problem(api.post("/applications", as_="cw.lizhuang", json=body), 422)
    assert problem["errors"][0]["field"] == "event.kind"


def test_without_the_certificate_or_the_woman_s_age_the_village_confirms(api: Api) -> None:
    no_certificate = api.submit(dream(certificate_holder=False))
    assert no_certificate["eligibility"]["eligibility"] == "review"
    assert "光荣证" in no_certificate["eligibility"]["reason"]
    # A husband applying alone: no woman's ID on the case, her age is the village's to confirm.
    alone = dream()
    alone["applicant"] = {"name": "李建国", "id_number": alone["spouse"]["id_number"]}
    alone["relation"] = "father"
    del alone["spouse"]
    case = api.submit(alone)
    assert case["eligibility"]["eligibility"] == "review"
    assert "年龄不详" in case["eligibility"]["reason"]


def test_the_flow_passes_upload_validation(api: Api) -> None:
    assert upload_check(api, PROGRAM) == {"valid": True, "problems": []}
