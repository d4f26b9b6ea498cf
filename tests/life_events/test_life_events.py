"""Death or moving away mid-year 扶助对象死亡、迁出: the village records it with evidence, the
county confirms, and the yearly benefit of special assistance stops from the next year (per
parent when one of two dies), with what was paid for those years recovered 追回."""

from __future__ import annotations

from tests.conftest import Api, assert_problem
from tests.life_events.helpers import (
    actions,
    decide,
    household_payouts,
    pay_year,
    recorded,
    review_year,
)
from tests.programs.test_special_assistance import PREMIUM, enrol, generate


def test_one_parent_s_death_halves_later_years_and_recovers_the_paid_share(api: Api) -> None:
    case_id = enrol(api)["id"]
    generate(api, 2026)
    pay_year(api, case_id, 2026)
    review_year(api, case_id, 2027)
    generate(api, 2027)
    before = household_payouts(api, case_id)
    paid_2026, pending_2027 = before["2026"], before["2027"]
    assert (paid_2026["status"], pending_2027["status"]) == ("paid", "pending")

    # The father died in June 2025, reported late: nothing is owed for him from 2026 on.
    event = recorded(api, case_id, person="spouse", event_date="2025-06-01")
    assert (event["status"], event["from_year"], event["person"]) == ("pending", 2026, "spouse")
    assert household_payouts(api, case_id) == before  # recording alone changes nothing

    confirmed = decide(api, event["id"], "confirm", comment="核实无误")
    assert confirmed.status_code == 200, confirmed.text
    effects = confirmed.json()["effects"]
    assert effects["eligible_parents"] == {"before": 2, "after": 1}
    assert effects["ended"] is False

    case = api.case(case_id)
    assert case["status"] == "enrolled"
    assert case["eligible_parents"] == 1
    after = household_payouts(api, case_id)
    assert after["2026"]["status"] == "paid"
    assert after["2026"]["amount_fen"] == paid_2026["amount_fen"]  # paid stays paid
    assert after["2027"]["status"] == "pending"
    assert after["2027"]["amount_fen"] == pending_2027["amount_fen"] // 2
    assert after["2027"]["rule"]["eligible_parents"] == 1
    recoveries = {r["payout_id"]: r for r in case["recoveries"]}
    share = recoveries[paid_2026["id"]]
    assert share["amount_due_fen"] == paid_2026["amount_fen"] // 2  # the father's half
    assert share["status"] == "open"
    trail = actions(api, case_id)
    for action in (
        "life_event_recorded",
        "life_event_confirmed",
        "payment_terms_changed",
        "payout_amended",
        "recovery_opened",
    ):
        assert action in trail, action

    again = decide(api, event["id"], "confirm")
    assert_problem(again, 409, "conflict")
    assert again.json()["code"] == "life-event-decided"
    assert actions(api, case_id).count("life_event_confirmed") == 1


def test_the_death_of_the_sole_parent_ends_the_enrolment(api: Api) -> None:
    case_id = enrol(api, spouse=False)["id"]
    generate(api, 2026)
    pay_year(api, case_id, 2026)
    paid = household_payouts(api, case_id)["2026"]
    event = recorded(api, case_id, person="applicant", event_date="2025-11-30")
    confirmed = decide(api, event["id"], "confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["effects"]["ended"] is True

    case = api.case(case_id)
    assert case["status"] == "ended"
    (recovery,) = [r for r in case["recoveries"] if r["payout_id"] == paid["id"]]
    assert recovery["amount_due_fen"] == paid["amount_fen"]  # all of the later year
    assert "enrolment_ended" in actions(api, case_id)
    generate(api, 2027)  # an ended enrolment is paid no later year
    assert "2027" not in household_payouts(api, case_id)


def test_the_second_parent_s_death_ends_what_the_first_halved(api: Api) -> None:
    case_id = enrol(api)["id"]
    generate(api, 2026)
    pay_year(api, case_id, 2026)
    paid = household_payouts(api, case_id)["2026"]
    first = recorded(api, case_id, person="spouse", event_date="2025-03-01")
    assert decide(api, first["id"], "confirm").status_code == 200
    second = recorded(api, case_id, person="applicant", event_date="2025-09-01")
    confirmed = decide(api, second["id"], "confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["effects"]["ended"] is True
    case = api.case(case_id)
    assert case["status"] == "ended"
    (recovery,) = [r for r in case["recoveries"] if r["payout_id"] == paid["id"]]
    assert recovery["amount_due_fen"] == paid["amount_fen"]  # the first half, then the rest


def test_moving_away_ends_the_enrolment_cancels_later_years_and_ends_their_review(
    api: Api,
) -> None:
    case_id = enrol(api)["id"]
    generate(api, 2026)  # pending when the household leaves
    assert api.post("/reviews/yearly", as_="ca.county", json={"year": 2027}).status_code == 200
    assert api.task_for(case_id, as_="cw.lizhuang")["spec"] == "annual_review"

    event = recorded(api, case_id, kind="moved_away", person=None, event_date="2025-12-20")
    assert event["person"] is None
    confirmed = decide(api, event["id"], "confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["effects"]["reviews_ended"]

    case = api.case(case_id)
    assert case["status"] == "ended"
    assert household_payouts(api, case_id)["2026"]["status"] == "cancelled"
    assert case["recoveries"] == []  # nothing had been paid
    # The 2027 review's village task is gone from the inbox.
    tasks = api.get("/tasks", as_="cw.lizhuang", params={"application_id": case_id}).json()
    assert tasks == []
    assert "review_ended" in actions(api, case_id)


def test_a_year_of_the_event_itself_is_still_paid(api: Api) -> None:
    case_id = enrol(api)["id"]
    generate(api, 2026)
    pending = household_payouts(api, case_id)["2026"]
    event = recorded(api, case_id, kind="moved_away", person=None, event_date="2026-02-01")
    assert event["from_year"] == 2027
    assert decide(api, event["id"], "confirm").status_code == 200
    assert household_payouts(api, case_id)["2026"] == pending


def test_an_enrolment_ended_by_an_event_is_still_paid_for_the_event_s_year(api: Api) -> None:
    case_id = enrol(api, spouse=False)["id"]
    event = recorded(api, case_id, person="applicant", event_date="2026-02-01")
    assert decide(api, event["id"], "confirm").status_code == 200
    assert api.case(case_id)["status"] == "ended"
    generate(api, 2026)  # the year of the death: still owed (the enrolment year is its review)
    assert household_payouts(api, case_id)["2026"]["status"] == "pending"
    generate(api, 2027)
    assert "2027" not in household_payouts(api, case_id)


def test_a_dead_parent_s_pension_premium_is_cut_and_what_was_paid_recovered_from_the_fund(
    api: Api,
) -> None:
    case_id = enrol(api)["id"]
    generate(api, 2026)
    pay_year(api, case_id, 2026)
    review_year(api, case_id, 2027)
    generate(api, 2027)

    def premiums() -> dict[str, dict]:
        payouts = api.case(case_id)["payouts"]
        return {p["period"]: p for p in payouts if p["payee"] == "pension_fund"}

    before = premiums()
    assert before["2026"]["amount_fen"] == 2 * PREMIUM  # one line per insured parent
    event = recorded(api, case_id, person="spouse", event_date="2025-06-01")
    assert decide(api, event["id"], "confirm").status_code == 200

    after = premiums()
    assert after["2026"]["status"] == "paid"
    assert after["2027"]["amount_fen"] == PREMIUM  # the father's line is gone
    assert len(after["2027"]["persons"]) == 1
    assert after["2027"]["rule"]["insured_persons"] == 1
    recoveries = {r["payout_id"]: r for r in api.case(case_id)["recoveries"]}
    assert recoveries[before["2026"]["id"]]["amount_due_fen"] == PREMIUM  # got back from the fund


def test_the_spouse_s_death_after_a_review_took_one_parent_off_changes_nothing_paid(
    api: Api,
) -> None:
    case_id = enrol(api)["id"]
    assert api.post("/reviews/yearly", as_="ca.county", json={"year": 2027}).status_code == 200
    api.act(case_id, "approve", as_="cw.lizhuang", data={"eligible_parents": 1})
    api.act(case_id, "approve", as_="vh.lizhuang")
    api.act(case_id, "approve", as_="ca.county")
    generate(api, 2027)
    pending = household_payouts(api, case_id)["2027"]
    # The review kept the applicant; the spouse, no longer receiving, dies in 2026.
    event = recorded(api, case_id, person="spouse", event_date="2026-03-01")
    confirmed = decide(api, event["id"], "confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["effects"] == {"from_year": 2027, "ended": False, "not_receiving": True}
    case = api.case(case_id)
    assert (case["status"], case["eligible_parents"]) == ("enrolled", 1)
    assert household_payouts(api, case_id)["2027"] == pending
