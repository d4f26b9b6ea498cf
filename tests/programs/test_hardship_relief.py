"""特困救助 hardship relief end to end: cause-specific papers, priority groups first, 5,000 CNY."""

from __future__ import annotations

from tests.conftest import VILLAGE_CHAIN, Api, assert_problem
from tests.factories import VILLAGE_HEKOU, VILLAGE_LIZHUANG, application

HARDSHIP_COMMON = (
    "application_form",
    "id_card",
    "hukou",
    "bank_card",
    "household_income",
    "villager_meeting_minutes",
)


def hardship(
    kind: str = "serious_illness", village: str = VILLAGE_LIZHUANG, **household: bool
) -> dict:
    body = application(program="hardship_relief", kind=kind, village=village)
    body["household"].update(household)  # type: ignore[union-attr]
    return body


def test_hardship_relief_runs_end_to_end_and_pays_5000(api: Api) -> None:
    case = api.submit(hardship("serious_illness"))
    assert case["status"] == "in_progress"
    assert case["eligibility"]["eligibility"] == "eligible"
    assert set(case["required_documents"]) == {*HARDSHIP_COMMON, "medical_records"}
    for kind in case["required_documents"]:
        assert api.attach(case["id"], kind).status_code == 201
    for user in VILLAGE_CHAIN:
        api.act(case["id"], "approve", as_=user)
    paid = api.act(case["id"], "approve", as_="fo.county", data={"bank_reference": "HR-1"})
    assert paid["status"] == "paid"
    detail = api.case(case["id"])
    assert detail["payout"]["amount_fen"] == 500000
    assert detail["payout"]["rule"] == {
        "rule": "fixed",
        "program": "hardship_relief",
        "amount_fen": 500000,
    }


def test_a_missing_hardship_document_blocks_village_approval(api: Api) -> None:
    case = api.submit(hardship("accidental_death"))
    for kind in case["required_documents"]:
        if kind != "accident_death_proof":
            assert api.attach(case["id"], kind).status_code == 201
    task = api.task_for(case["id"], as_="cw.lizhuang")
    problem = assert_problem(
        api.decide(task["id"], "approve", as_="cw.lizhuang"), 409, "missing-documents"
    )
    assert problem["missing"] == ["accident_death_proof"]
    assert api.attach(case["id"], "accident_death_proof").status_code == 201
    assert api.decide(task["id"], "approve", as_="cw.lizhuang").status_code == 200


def test_an_event_outside_the_program_is_refused(api: Api) -> None:
    response = api.post("/applications", as_="cw.lizhuang", json=hardship("child_death"))
    body = assert_problem(response, 422, "invalid-input")
    assert body["errors"][0]["field"] == "event.kind"


def test_priority_groups_sort_first_in_every_inbox(api: Api) -> None:
    # 河口村: a village few other tests use, so its inbox stays short.
    def submit(**household: bool) -> dict:
        return api.submit(hardship("disaster", VILLAGE_HEKOU, **household), as_="cw.hekou")

    ordinary = submit()
    certificate = submit(certificate_holder=True)
    daughters = submit(two_daughters_sterilised=True)
    assert [ordinary["priority"], certificate["priority"], daughters["priority"]] == [
        False,
        True,
        True,
    ]
    inbox = api.get("/tasks", as_="cw.hekou", params={"limit": 500}).json()
    assert len(inbox) < 500
    order = [task["application_id"] for task in inbox]
    assert order.index(certificate["id"]) < order.index(ordinary["id"])
    assert order.index(daughters["id"]) < order.index(ordinary["id"])
    priorities = [task["priority"] for task in inbox]
    assert priorities == sorted(priorities, reverse=True)  # every priority task comes first


def test_hardship_and_emergency_are_claimed_apart_and_the_same_hardship_event_once(
    api: Api,
) -> None:
    # Hardship relief is once per household and event (tests/applications/
    # test_claims_by_event.py has the different events and the interval between them).
    body = application()
    api.submit(body)  # emergency consolation for the household
    again = hardship("serious_illness")
    again["applicant"] = body["applicant"]
    again["household"] = dict(body["household"])  # type: ignore[call-overload]
    assert api.post("/applications", as_="cw.lizhuang", json=again).status_code == 201
    assert_problem(api.post("/applications", as_="cw.lizhuang", json=again), 409, "duplicate-case")
