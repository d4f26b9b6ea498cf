"""特困救助 is for family-planning families 计划生育家庭; its priority groups need proof.

Seed 001 line 251: "对计划生育家庭… 优先安排已领证独生子女及已采取长效绝育措施的双女家庭". A ticked
priority group is a claim the village must prove with a document before it approves (the
certificate 独生子女父母光荣证, or the sterilisation proof 绝育手术证明: the catalogue's
``documents.by_claim``), and the caseworker confirms at submission that the household is a
family-planning family and that they saw the originals; the confirmation is kept on the case
and in its trail. Over real HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import Api, Backend, assert_problem
from tests.factories import application, id_number

HARDSHIP_COMMON = {
    "application_form",
    "id_card",
    "hukou",
    "bank_card",
    "household_income",
    "villager_meeting_minutes",
}


def hardship(**household: bool) -> dict:
    body = application(program="hardship_relief", kind="disaster")
    body["household"].update(household)  # type: ignore[union-attr]
    return body


def _village_approval_needs(api: Api, case: dict, proof: str) -> None:
    """Everything but ``proof`` attached: the village cannot approve; with it, it can."""
    assert proof in case["required_documents"]
    assert proof in case["missing_documents"]
    for kind in case["required_documents"]:
        if kind != proof:
            assert api.attach(case["id"], kind).status_code == 201
    assert api.case(case["id"])["missing_documents"] == [proof]
    task = api.task_for(case["id"], as_="cw.lizhuang")
    problem = assert_problem(
        api.decide(task["id"], "approve", as_="cw.lizhuang"), 409, "missing-documents"
    )
    assert problem["missing"] == [proof]
    assert api.attach(case["id"], proof).status_code == 201
    assert api.decide(task["id"], "approve", as_="cw.lizhuang").status_code == 200


def test_a_ticked_certificate_must_be_attached_before_the_village_approves(api: Api) -> None:
    case = api.submit(hardship(certificate_holder=True))
    assert case["priority"] is True
    assert set(case["required_documents"]) == HARDSHIP_COMMON | {"only_child_certificate"}
    _village_approval_needs(api, case, "only_child_certificate")


def test_a_ticked_sterilisation_needs_its_proof_before_the_village_approves(api: Api) -> None:
    case = api.submit(hardship(two_daughters_sterilised=True))
    assert case["priority"] is True
    assert set(case["required_documents"]) == HARDSHIP_COMMON | {"sterilisation_certificate"}
    _village_approval_needs(api, case, "sterilisation_certificate")


def test_without_a_tick_no_proof_is_asked_for(api: Api) -> None:
    case = api.submit(hardship())
    assert case["priority"] is False
    assert set(case["required_documents"]) == HARDSHIP_COMMON


def test_emergency_consolation_asks_for_the_certificate_once(api: Api) -> None:
    body = application()
    body["household"]["certificate_holder"] = True  # type: ignore[index]
    case = api.submit(body)
    assert case["required_documents"].count("only_child_certificate") == 1


def test_a_hardship_case_needs_the_caseworker_s_confirmation(api: Api, backend: Backend) -> None:
    number = id_number()
    body = application(program="hardship_relief", kind="disaster", applicant_id=number)
    del body["family_planning_confirmed"]
    problem = assert_problem(api.post("/applications", as_="cw.lizhuang", json=body), 422)
    assert problem["code"] == "family-planning-unconfirmed"
    assert problem["errors"][0]["field"] == "family_planning_confirmed"
    assert problem["errors"][0]["code"] == "family-planning-unconfirmed"
    body["family_planning_confirmed"] = False
    refused = assert_problem(api.post("/applications", as_="cw.lizhuang", json=body), 422)
    assert refused["code"] == "family-planning-unconfirmed"
    with backend.engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT count(*) FROM application WHERE applicant_id_number = :n"),
            {"n": number},
        ).scalar_one()
    assert stored == 0  # refused before anything was stored, the household not claimed
    body["family_planning_confirmed"] = True
    assert api.post("/applications", as_="cw.lizhuang", json=body).status_code == 201


def test_the_confirmation_is_kept_on_the_case_and_in_its_trail(api: Api) -> None:
    case = api.submit(hardship())
    assert case["family_planning_confirmed"] is True
    assert api.case(case["id"])["family_planning_confirmed"] is True
    (submitted,) = [e for e in api.events(case["id"]) if e["action"] == "application_submitted"]
    assert submitted["after"]["family_planning_confirmed"] is True
    assert submitted["actor"] == "cw.lizhuang"


def test_emergency_consolation_does_not_ask_for_the_confirmation(api: Api) -> None:
    case = api.submit(application())
    assert case["family_planning_confirmed"] is False
    programs = {p["code"]: p for p in api.get("/programs", as_="au.county").json()}
    assert programs["emergency_consolation"]["confirms_family_planning"] is False
    assert programs["hardship_relief"]["confirms_family_planning"] is True
    assert programs["hardship_relief"]["documents"]["by_claim"] == {
        "certificate_holder": ["only_child_certificate"],
        "two_daughters_sterilised": ["sterilisation_certificate"],
    }
