"""The program catalogue: every rule a county office relies on is visible over the API."""

from __future__ import annotations

from tests.conftest import Api, assert_problem


def test_catalogue_lists_the_programs_with_their_rules(api: Api) -> None:
    programs = {p["code"]: p for p in api.get("/programs", as_="cw.lizhuang").json()}
    assert {"emergency_consolation", "hardship_relief"} <= set(programs)

    ec = programs["emergency_consolation"]
    assert (ec["name_zh"], ec["amount_fen"], ec["amount_cny"]) == ("紧急慰藉", 300000, "3000.00")
    assert ec["event_kinds"] == ["child_death"]
    assert ec["documents"]["by_event"]["child_death"] == [
        "only_child_certificate",
        "death_certificate",
    ]
    assert "emergency_consolation_eligibility" in ec["eligibility"]  # the DMN table itself
    assert ec["active_flow"].startswith("emergency_consolation@v")

    hr = programs["hardship_relief"]
    assert (hr["name_zh"], hr["amount_fen"]) == ("特困救助", 500000)
    common = hr["documents"]["common"]
    assert {"household_income", "villager_meeting_minutes"} <= set(common)
    by_cause = hr["documents"]["by_event"]
    assert "accident_death_proof" in by_cause["accidental_death"]
    assert "medical_records" in by_cause["serious_illness"]
    assert hr["active_flow"].startswith("hardship_relief@v")

    dream = programs["assisted_reproduction"]  # 圆梦行动, seed 001 line 245
    assert (dream["name_zh"], dream["kind"], dream["amount_fen"]) == (
        "圆梦行动再生育补助",
        "one_time",
        300000,
    )
    assert dream["event_kinds"] == ["child_death"]
    assert dream["documents"]["by_event"]["child_death"] == [
        "only_child_certificate",
        "death_certificate",
        "assisted_reproduction_certificate",
    ]
    assert dream["active_flow"].startswith("assisted_reproduction@v")

    daughters = programs["two_daughter_sterilisation_reward"]  # seed 001 line 387
    assert (daughters["name_zh"], daughters["kind"], daughters["amount_fen"]) == (
        "农村双女结扎奖励",
        "one_time",
        400000,
    )
    assert daughters["documents"]["by_event"] == {"sterilisation": ["sterilisation_certificate"]}
    assert daughters["active_flow"].startswith("two_daughter_sterilisation_reward@v")


def test_one_program_by_code_and_an_unknown_one(api: Api) -> None:
    assert (
        api.get("/programs/hardship_relief", as_="tr.xihe").json()["name_en"] == "Hardship relief"
    )
    assert_problem(api.get("/programs/nope", as_="tr.xihe"), 404, "not-found")
