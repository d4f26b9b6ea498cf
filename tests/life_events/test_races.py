"""Concurrent requests on one life event win once: the others get 409, and the payments change
once."""

from __future__ import annotations

from tests.conftest import Api
from tests.factories import PDF
from tests.life_events.helpers import actions, at_once, household_payouts, pay_year, recorded
from tests.programs.test_special_assistance import enrol, generate


def test_racing_confirmations_confirm_once(api: Api) -> None:
    case_id = enrol(api)["id"]
    generate(api, 2026)
    pay_year(api, case_id, 2026)
    paid = household_payouts(api, case_id)["2026"]
    event = recorded(api, case_id, person="spouse", event_date="2025-06-01")
    confirm = ("ca.county", f"/life-events/{event['id']}/confirm", {"json": {"comment": ""}})
    responses = at_once(api, [confirm] * 4)
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    case = api.case(case_id)
    assert case["eligible_parents"] == 1
    shares = [r for r in case["recoveries"] if r["payout_id"] == paid["id"]]
    assert [r["amount_due_fen"] for r in shares] == [paid["amount_fen"] // 2]
    assert actions(api, case_id).count("life_event_confirmed") == 1


def test_racing_recordings_record_one_event(api: Api) -> None:
    case_id = enrol(api)["id"]
    form = {
        "data": {
            "application_id": str(case_id),
            "kind": "moved_away",
            "event_date": "2025-10-01",
        },
        "files": {"evidence": ("move.pdf", PDF, "application/pdf")},
    }
    responses = at_once(api, [("cw.lizhuang", "/life-events", form)] * 4)
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    listed = api.get("/life-events", as_="ca.county", params={"application_id": case_id}).json()
    assert len(listed) == 1
    assert actions(api, case_id).count("life_event_recorded") == 1
