"""A year of special assistance is paid only after that year's annual review 年审.

The year of enrolment counts as reviewed (the county has just verified the household). A later
year needs its review completed, keeping the household enrolled; a household whose review is
missing (never opened) or unfinished is listed in the run's answer by case id and not paid:
neither the family's benefit nor the pension premium. Once the review is done, the next run
pays the year.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import Api, Backend, MakeUser
from tests.fresh_county import County, make_county
from tests.payouts.test_pension_premium import PREMIUM, STANDARD, enrolled, generate


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def periods(api: Api, county: County, case_id: int) -> set[tuple[str, str]]:
    return {(p["period"], p["payee"]) for p in api.case(case_id, as_=county["au"])["payouts"]}


def test_the_year_of_enrolment_counts_as_reviewed(api: Api, county: County) -> None:
    case = enrolled(api, county)
    this_year = date.today().year
    run = generate(api, county, this_year)
    assert (run["missing_review"], run["unfinished_review"], run["awaiting_review"]) == ([], [], 0)
    assert periods(api, county, case["id"]) == {
        (str(this_year), "household"),
        (str(this_year), "pension_fund"),
    }


def test_a_year_without_a_completed_review_is_listed_and_not_paid(api: Api, county: County) -> None:
    case = enrolled(api, county)
    other = enrolled(api, county, spouse=False)
    year = date.today().year + 1
    assert year in STANDARD, "the catalogue needs next year's standard for this test"

    # No review of the year was opened: listed, nothing created.
    run = generate(api, county, year)
    assert run["missing_review"] == [case["id"], other["id"]]
    assert (run["unfinished_review"], run["awaiting_review"]) == ([], 2)
    assert (run["created"], run["total_fen"], run["payout_ids"]) == (0, 0, [])
    assert periods(api, county, case["id"]) == set()

    # Opened, not finished: listed as unfinished, still nothing.
    opened = api.post("/reviews/yearly", as_=county["ca"], json={"year": year})
    assert opened.status_code == 200, opened.text
    assert opened.json()["started"] == 2
    run = generate(api, county, year)
    assert (run["missing_review"], run["unfinished_review"]) == ([], [case["id"], other["id"]])
    assert run["created"] == 0

    # The village finishes one household's review: that household's year is paid, the other
    # stays listed.
    review = api.task_for(case["id"], as_=county["cw"])
    assert review["spec"] == "annual_review"
    api.act(case["id"], "approve", as_=county["cw"])
    api.act(case["id"], "approve", as_=county["vh"])
    run = generate(api, county, year)
    assert run["unfinished_review"] == [other["id"]]
    assert run["created"] == 2
    assert (run["benefit_fen"], run["premium_fen"]) == (2 * 2 * STANDARD[year], 2 * PREMIUM)
    assert periods(api, county, case["id"]) == {
        (str(year), "household"),
        (str(year), "pension_fund"),
    }
    assert periods(api, county, other["id"]) == set()
