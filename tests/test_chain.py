"""The whole chain of emergency consolation over real HTTP, as the demo users."""

from __future__ import annotations

from tests.conftest import VILLAGE_CHAIN, Api
from tests.factories import application


def test_happy_path_ends_paid_with_payout_and_verified_trail(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    assert ready_case["status"] == "in_progress"
    assert [t["role"] for t in ready_case["tasks"]] == ["caseworker"]

    statuses = [
        api.act(case_id, "approve", as_=user, comment="无异议")["status"] for user in VILLAGE_CHAIN
    ]
    assert statuses == ["in_progress", "in_progress", "in_progress", "approved"]
    assert api.case(case_id)["payout"]["status"] == "pending"

    paid = api.act(case_id, "approve", as_="fo.county", data={"bank_reference": "BOC-2026-0001"})
    assert paid["status"] == "paid"
    assert paid["next_tasks"] == []

    detail = api.case(case_id)
    assert detail["status"] == "paid"
    assert detail["tasks"] == []
    assert detail["payout"]["amount_fen"] == 300000
    assert detail["payout"]["bank_reference"] == "BOC-2026-0001"
    completions = [e for e in api.events(case_id) if e["action"] == "task_completed"]
    assert [e["actor"] for e in completions] == [*VILLAGE_CHAIN, "fo.county"]
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


def test_reject_ends_case_and_releases_household(api: Api) -> None:
    body = application()
    case_id = api.submit(body)["id"]
    api.attach_required(case_id)
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")
    rejected = api.act(case_id, "reject", as_="tr.dongcheng", comment="不符合条件")
    assert rejected["status"] == "rejected"
    detail = api.case(case_id)
    assert detail["tasks"] == []
    assert detail["payout"] is None
    # A rejected case no longer blocks the household from applying again.
    assert api.submit(body)["id"] != case_id


def test_return_goes_back_to_caseworker_then_up_again(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")
    returned = api.act(case_id, "return", as_="tr.dongcheng", comment="户口簿复印件不清晰")
    assert returned["status"] == "returned"
    correction = api.task_for(case_id, as_="cw.lizhuang")
    assert correction["spec"] == "correction"
    timeline = api.case(case_id)["timeline"]
    assert any(e["comment"] == "户口簿复印件不清晰" for e in timeline)

    assert api.act(case_id, "approve", as_="cw.lizhuang")["status"] == "in_progress"
    for user in VILLAGE_CHAIN:
        api.act(case_id, "approve", as_=user)
    assert api.case(case_id)["status"] == "approved"
    paid = api.act(case_id, "approve", as_="fo.county", data={"bank_reference": "R1"})
    assert paid["status"] == "paid"


def test_payout_that_cannot_be_made_goes_back_and_is_owed_again_after_approval(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    for user in VILLAGE_CHAIN:
        api.act(case_id, "approve", as_=user)
    assert api.case(case_id)["payout"]["status"] == "pending"

    # The bank refused the card: the finance officer sends the case back for correction.
    returned = api.act(case_id, "return", as_="fo.county", comment="卡号已注销")
    assert returned["status"] == "returned"
    assert api.case(case_id)["payout"]["status"] == "cancelled"

    api.act(case_id, "approve", as_="cw.lizhuang")  # corrected and resubmitted
    for user in VILLAGE_CHAIN:
        api.act(case_id, "approve", as_=user)
    assert api.case(case_id)["payout"]["status"] == "pending"
    paid = api.act(case_id, "approve", as_="fo.county", data={"bank_reference": "R2"})
    assert paid["status"] == "paid"
    payout = api.case(case_id)["payout"]
    assert payout["status"] == "paid"
    assert payout["amount_fen"] == 300000


def test_money_is_in_the_trail_amount_and_bank_reference(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    for user in VILLAGE_CHAIN:
        api.act(case_id, "approve", as_=user)
    api.act(case_id, "approve", as_="fo.county", data={"bank_reference": "BOC-77"})
    payouts = [e for e in api.events(case_id) if e["action"].startswith("payout_")]
    assert [e["action"] for e in payouts] == ["payout_pending", "payout_paid"]
    assert payouts[0]["actor"] == "ca.county"
    paid = payouts[1]
    assert paid["actor"] == "fo.county"
    assert paid["after"]["amount_fen"] == 300000
    assert paid["after"]["bank_reference"] == "BOC-77"
