"""特别扶助 special assistance: enrolment, yearly amounts from configured standards, 年审."""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn import ric

from tests.conftest import Api, assert_problem
from tests.factories import VILLAGE_LIZHUANG, application
from tests.recoveries.helpers import revoke

CHAIN = ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county")
# The county's 1,000 CNY pension premium per person, from the catalogue: paid to the pension
# fund on each insured parent's behalf (seed 001 line 249), never on the household's card.
PREMIUM = 100000
STANDARD = {2026: 780000, 2027: 820000}  # child_death, from workflows/programs.yaml


def person(born: date, *, female: bool) -> str:
    """A resident ID whose 17th digit carries the sex (even: female), as GB 11643 does."""
    sequence = f"{random.randint(0, 99):02d}{random.choice('02468' if female else '13579')}"
    body = f"130123{born:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def _born_between(first: date, last: date) -> date:
    # A resident ID's sequence holds only 500 numbers per sex and birth date: random dates keep
    # the households of one test session apart (a shared ID would make them one household).
    return date.fromordinal(random.randint(first.toordinal(), last.toordinal()))


def special(*, mother_born: date | None = None, spouse: bool = True) -> dict:
    """A special-assistance household: by default a mother of 54 to 60 (over 49) and a father."""
    mother_born = mother_born or _born_between(date(1966, 1, 1), date(1972, 12, 28))
    body = application(
        program="special_assistance",
        kind="child_death",
        applicant_id=person(mother_born, female=True),
        spouse_id=person(_born_between(date(1960, 1, 1), date(1970, 12, 28)), female=False)
        if spouse
        else None,
        village=VILLAGE_LIZHUANG,
    )
    body["household"]["certificate_holder"] = True  # type: ignore[index]
    return body


def enrol(api: Api, **kwargs: object) -> dict:
    case = api.submit(special(**kwargs))  # type: ignore[arg-type]
    assert case["eligibility"]["eligibility"] == "eligible", case["eligibility"]
    for kind in case["required_documents"]:
        assert api.attach(case["id"], kind).status_code == 201
    for user in CHAIN:
        api.act(case["id"], "approve", as_=user)
    detail = api.case(case["id"])
    assert detail["status"] == "enrolled"
    return detail


def generate(api: Api, year: int) -> dict:
    response = api.post("/payouts/yearly", as_="fo.county", json={"year": year})
    assert response.status_code == 200, response.text
    return response.json()


def payouts_of(api: Api, case_id: int) -> dict[str, dict]:
    """The household's own payouts (its card), by period."""
    return {p["period"]: p for p in api.case(case_id)["payouts"] if p["payee"] == "household"}


def premiums_of(api: Api, case_id: int) -> dict[str, dict]:
    """The pension premiums paid to the fund for the case's parents, by period."""
    return {p["period"]: p for p in api.case(case_id)["payouts"] if p["payee"] == "pension_fund"}


def review_done(api: Api, case_id: int, year: int) -> None:
    """The year's annual review 年审 opened and completed without a change (village level)."""
    assert api.post("/reviews/yearly", as_="ca.county", json={"year": year}).status_code == 200
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")


def test_county_approval_enrols_instead_of_paying_once(api: Api) -> None:
    case = enrol(api)
    assert case["payout"] is None
    assert case["payouts"] == []
    assert api.get("/tasks", as_="fo.county", params={"application_id": case["id"]}).json() == []


def test_yearly_amounts_follow_the_configured_standards_and_never_twice(api: Api) -> None:
    case_id = enrol(api)["id"]
    first = generate(api, 2026)
    assert first["created"] >= 1
    again = generate(api, 2026)
    assert again["created"] == 0  # safe to run twice: nothing new
    review_done(api, case_id, 2027)  # a later year is paid after its 年审
    generate(api, 2027)

    payouts = payouts_of(api, case_id)
    assert set(payouts) == {"2026", "2027"}  # enrolled this year: nothing for 2025
    premiums = premiums_of(api, case_id)
    assert set(premiums) == {"2026", "2027"}
    for year in (2026, 2027):
        payout = payouts[str(year)]
        # two parents × 2 × the year's standard: the premium is not the family's money
        assert payout["amount_fen"] == 2 * 2 * STANDARD[year]
        assert premiums[str(year)]["amount_fen"] == 2 * PREMIUM
        rule = payout["rule"]
        assert (rule["year"], rule["standard_fen"], rule["eligible_parents"]) == (
            year,
            STANDARD[year],
            2,
        )
        assert rule["multiplier"] == 2
        assert payout["status"] == "pending"
    assert payouts["2027"]["amount_fen"] == 3_280_000  # 32,800.00 CNY


def test_a_single_parent_household_gets_one_share(api: Api) -> None:
    case_id = enrol(api, spouse=False)["id"]
    generate(api, 2026)
    assert payouts_of(api, case_id)["2026"]["amount_fen"] == 2 * STANDARD[2026]
    premium = premiums_of(api, case_id)["2026"]
    assert premium["amount_fen"] == PREMIUM
    assert len(premium["persons"]) == 1


def test_a_year_without_a_configured_standard_is_refused(api: Api) -> None:
    enrol(api)
    response = api.post("/payouts/yearly", as_="fo.county", json={"year": 2030})
    problem = assert_problem(response, 422, "invalid-input")
    assert "2030" in problem["detail"]


def test_the_finance_officer_records_a_yearly_payment_once(api: Api) -> None:
    case_id = enrol(api)["id"]
    generate(api, 2026)
    payout = payouts_of(api, case_id)["2026"]
    paid = api.post(
        f"/payouts/{payout['id']}/pay", as_="fo.county", json={"bank_reference": "SA-1"}
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    again = api.post(f"/payouts/{payout['id']}/pay", as_="fo.county", json={"bank_reference": "X"})
    assert_problem(again, 409, "conflict")
    assert_problem(
        api.post(f"/payouts/{payout['id']}/pay", as_="ca.county", json={"bank_reference": "Y"}),
        403,
        "forbidden",
    )
    listed = api.get("/payouts", as_="au.county", params={"application_id": case_id}).json()
    assert [(p["period"], p["payee"]) for p in listed["items"]] == [
        ("2026", "pension_fund"),
        ("2026", "household"),
    ]
    events = [e["action"] for e in api.events(case_id)]
    assert events.count("payout_paid") == 1


def test_a_mother_under_49_is_refused_with_the_rule_s_reason(api: Api) -> None:
    body = special(mother_born=date(1990, 1, 1))
    problem = assert_problem(
        api.post("/applications", as_="cw.lizhuang", json=body), 422, "ineligible"
    )
    assert "49" in problem["reason"]


def test_annual_review_holds_the_year_s_payout_and_records_a_parent_s_death(api: Api) -> None:
    case_id = enrol(api)["id"]
    assert api.post("/reviews/yearly", as_="ca.county", json={"year": 2027}).status_code == 200
    review = api.task_for(case_id, as_="cw.lizhuang")
    assert review["spec"] == "annual_review"

    generate(api, 2027)
    assert "2027" not in payouts_of(api, case_id)  # not paid before the village re-certifies

    done = api.decide(review["id"], "approve", as_="cw.lizhuang", data={"eligible_parents": 1})
    assert done.status_code == 200, done.text
    api.act(case_id, "approve", as_="vh.lizhuang")
    # One parent fewer changes what is paid: the county approves it before the year is paid.
    generate(api, 2027)
    assert "2027" not in payouts_of(api, case_id)
    api.act(case_id, "approve", as_="ca.county")
    assert api.case(case_id)["status"] == "enrolled"
    generate(api, 2027)
    assert payouts_of(api, case_id)["2027"]["amount_fen"] == 2 * STANDARD[2027]
    assert premiums_of(api, case_id)["2027"]["amount_fen"] == PREMIUM


def test_a_review_that_finds_the_household_no_longer_eligible_ends_the_enrolment(
    api: Api,
) -> None:
    case_id = enrol(api)["id"]
    api.post("/reviews/yearly", as_="ca.county", json={"year": 2027})
    ended = api.act(case_id, "reject", as_="cw.lizhuang", comment="父母均已去世")
    assert ended["status"] == "ended"
    generate(api, 2027)
    assert payouts_of(api, case_id) == {}
    assert any(e["action"] == "review_started" for e in api.events(case_id))


def test_a_household_holds_one_open_enrolment(api: Api) -> None:
    body = special()
    api.submit(body)
    again = special()
    again["applicant"] = body["applicant"]
    assert_problem(api.post("/applications", as_="cw.lizhuang", json=again), 409, "duplicate-case")


def test_revoking_an_enrolment_stops_its_payouts_and_recovers_what_was_paid(api: Api) -> None:
    case_id = enrol(api)["id"]
    generate(api, 2026)
    paid = payouts_of(api, case_id)["2026"]
    api.post(f"/payouts/{paid['id']}/pay", as_="fo.county", json={"bank_reference": "SA-26"})
    review_done(api, case_id, 2027)
    generate(api, 2027)  # pending when the fraud is found

    response = revoke(api, case_id)
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "revoked"
    statuses = {(p["period"], p["payee"]): p["status"] for p in case["payouts"]}
    assert statuses == {
        ("2026", "household"): "paid",
        ("2026", "pension_fund"): "cancelled",
        ("2027", "household"): "cancelled",
        ("2027", "pension_fund"): "cancelled",
    }
    (recovery,) = case["recoveries"]
    assert recovery["amount_due_fen"] == paid["amount_fen"]
    assert recovery["balance_fen"] == paid["amount_fen"]

    generate(api, 2027)  # a revoked household gets nothing more
    after = {(p["period"], p["payee"]): p["status"] for p in api.case(case_id)["payouts"]}
    assert after == statuses
