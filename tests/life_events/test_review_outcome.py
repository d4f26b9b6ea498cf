"""The eligibility table is read again at each annual review 年审 with that year's facts.

The special-assistance table refuses a mother under 49 (rule "mother under 49": national policy
国家计划生育特别扶助制度, not seed text). At a review the mother's age is the one she reaches in
the review's year, so one household's outcome changes across years: a mother born in 1977 is 48
in 2025 and 49 in 2026. A refusal is flagged for the county as a ``no_longer_eligible`` event,
which it confirms (the enrolment ends from that year) or rejects.
"""

from __future__ import annotations

import random
from datetime import date

from tests.conftest import Api
from tests.life_events.helpers import decide, household_payouts
from tests.programs.test_special_assistance import enrol, generate


def _born_1977() -> date:
    # 49 at submission (the server's today is after 30 November 2026), 48 during 2025.
    return date.fromordinal(
        random.randint(date(1977, 1, 1).toordinal(), date(1977, 11, 30).toordinal())
    )


def _review(api: Api, case_id: int, year: int) -> None:
    assert api.post("/reviews/yearly", as_="ca.county", json={"year": year}).status_code == 200
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")


def _outcomes(api: Api, case_id: int) -> dict[int, dict]:
    response = api.get(
        "/life-events/review-outcomes", as_="vh.lizhuang", params={"application_id": case_id}
    )
    assert response.status_code == 200, response.text
    return {outcome["year"]: outcome for outcome in response.json()}


def _events(api: Api, case_id: int) -> list[dict]:
    response = api.get("/life-events", as_="ca.county", params={"application_id": case_id})
    assert response.status_code == 200, response.text
    return response.json()


def test_one_household_s_outcome_changes_with_the_mother_s_age_in_the_review_year(
    api: Api,
) -> None:
    case_id = enrol(api, mother_born=_born_1977())["id"]

    _review(api, case_id, 2025)
    found = _outcomes(api, case_id)[2025]
    assert found["eligibility"] == "ineligible"
    assert found["facts"]["mother_age"] == 48
    assert "49" in found["reason"]
    (flag,) = _events(api, case_id)
    assert (flag["kind"], flag["status"], flag["from_year"]) == (
        "no_longer_eligible",
        "pending",
        2025,
    )
    assert flag["recorded_by"] is None  # the table flagged it; any county approver decides
    assert api.case(case_id)["status"] == "enrolled"  # a flag ends nothing by itself
    rejected = decide(api, flag["id"], "reject", comment="2025年尚未纳入扶助，不适用")
    assert rejected.status_code == 200, rejected.text

    _review(api, case_id, 2026)
    found = _outcomes(api, case_id)[2026]
    assert (found["eligibility"], found["facts"]["mother_age"]) == ("eligible", 49)
    assert [e["kind"] for e in _events(api, case_id)] == ["no_longer_eligible"]  # no new flag
    actions = [e["action"] for e in api.events(case_id)]
    assert actions.count("review_eligibility_evaluated") == 2


def test_the_county_confirms_a_flag_and_the_enrolment_ends_from_the_review_year(
    api: Api,
) -> None:
    case_id = enrol(api, mother_born=_born_1977())["id"]
    generate(api, 2026)
    _review(api, case_id, 2025)
    (flag,) = _events(api, case_id)
    confirmed = decide(api, flag["id"], "confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["effects"]["ended"] is True
    assert api.case(case_id)["status"] == "ended"
    assert household_payouts(api, case_id)["2026"]["status"] == "cancelled"


def test_a_household_still_eligible_is_recorded_so_and_not_flagged(api: Api) -> None:
    case_id = enrol(api)["id"]
    _review(api, case_id, 2027)
    found = _outcomes(api, case_id)[2027]
    assert found["eligibility"] == "eligible"
    assert found["facts"]["event_kind"] == "child_death"
    assert _events(api, case_id) == []
