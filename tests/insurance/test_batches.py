"""平安保障 insurance: the year's batch lists the county's enrolled special-assistance households,
is approved by a county approver who did not make it, pays the insurer 100 CNY per household
(never the family's card), and is made once; households enrolled later join a supplementary
batch of the same year."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.fresh_county import make_county, submit_ready
from tests.insurance.helpers import (
    INSURER,
    PREMIUM_FEN,
    SUM_INSURED_FEN,
    approved,
    decide,
    enrol,
    households,
    made,
    make,
    refused,
    this_year,
)
from tests.programs.test_special_assistance import special
from tests.recoveries.helpers import revoke


def test_the_year_s_batch_lists_exactly_the_enrolled_households_and_pays_the_insurer(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    other = make_county(backend, make_user)
    enrolled = [enrol(api, county, village=v)["id"] for v in (1, 2, 3)]
    revoked = enrol(api, county)["id"]
    response = revoke(api, revoked, as_=county["ca"])
    assert response.status_code == 200, response.text
    in_progress, _ = submit_ready(api, county, body=special())  # not enrolled yet
    elsewhere = enrol(api, other)["id"]

    preview = api.get("/insurance/households", as_=county["fo"], params={"year": this_year()})
    assert preview.status_code == 200, preview.text
    assert {h["application_id"] for h in preview.json()["households"]} == set(enrolled)
    assert all(h["eligible"] for h in preview.json()["households"])

    batch = made(api, county)
    assert households(batch) == set(enrolled)
    assert (batch["status"], batch["kind"], batch["seq"]) == ("made", "annual", 1)
    assert batch["household_count"] == 3
    assert batch["total_fen"] == 3 * PREMIUM_FEN
    assert batch["due_on"] == f"{this_year()}-08-31"
    assert all(p["payout_id"] is None for p in batch["policies"])  # nothing owed before approval
    assert revoked not in households(batch)
    assert in_progress["id"] not in households(batch)
    assert elsewhere not in households(batch)

    decided = decide(api, batch["id"], as_=county["ca"])
    assert decided.status_code == 200, decided.text
    batch = decided.json()
    assert batch["status"] == "approved"
    for policy in batch["policies"]:
        assert policy["status"] == "approved"
        assert (policy["payee"], policy["payee_account"]) == ("insurer", INSURER)
        assert policy["premium_fen"] == PREMIUM_FEN
        assert policy["sum_insured_fen"] == SUM_INSURED_FEN
    for case_id in enrolled:
        payouts = api.get("/payouts", as_=county["fo"], params={"application_id": case_id})
        items = payouts.json()["items"]
        assert [(p["payee"], p["payee_account"], p["amount_fen"]) for p in items] == [
            ("insurer", INSURER, PREMIUM_FEN)
        ]
        assert items[0]["period"] == str(this_year())
        assert items[0]["amount_cny"] == "100.00"
    # The other county made nothing and owes nothing.
    other_payouts = api.get("/payouts", as_=other["fo"], params={"application_id": elsewhere})
    assert other_payouts.json()["items"] == []
    trail = api.get(
        "/audit/events", as_=county["au"], params={"application_id": enrolled[0], "limit": 1000}
    )
    actions = [e["action"] for e in trail.json()["items"]]
    assert actions.count("insurance_household_listed") == 1
    assert actions.count("payout_pending") == 1


def test_the_insurer_s_bank_batch_pays_its_account_never_the_family_s_card(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    case = enrol(api, county)
    approved(api, county)
    # The households' card batch has nothing of the insurance to pay.
    cards = api.post("/payouts/batches", as_=county["fo"], json={})
    assert_problem(cards, 409)
    bank = api.post("/payouts/batches", as_=county["fo"], json={"payee": "insurer"})
    assert bank.status_code == 201, bank.text
    assert bank.json()["payee"] == "insurer"
    assert bank.json()["total_fen"] == PREMIUM_FEN
    file = api.get(
        f"/payouts/batches/{bank.json()['id']}/bank-file",
        as_=county["fo"],
        params={"format": "csv"},
    )
    assert file.status_code == 200, file.text
    text = file.content.decode("utf-8-sig")
    with backend.engine.connect() as connection:
        card = connection.execute(
            sa.text("SELECT bank_card FROM application WHERE id = :id"), {"id": case["id"]}
        ).scalar_one()
    assert card not in text
    assert "DEMO-6222020000000002" in text  # the insurer's account
    assert "100.00" in text


def test_a_second_run_makes_nothing_new(api: Api, backend: Backend, make_user: MakeUser) -> None:
    county = make_county(backend, make_user)
    enrol(api, county)
    key = {"Idempotency-Key": "insure-once"}
    first = make(api, county, headers=key)
    assert first.status_code == 201, first.text
    replay = make(api, county, headers=key)
    assert replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    # Without the key: the batch awaits its decision.
    refused(make(api, county), 409, "insurance-batch-waiting")
    assert decide(api, first.json()["id"], as_=county["ca"]).status_code == 200
    refused(make(api, county), 409, "insurance-nothing-to-insure")
    again = decide(api, first.json()["id"], as_=county["ca"])
    refused(again, 409, "insurance-batch-decided")
    listed = api.get("/insurance/batches", as_=county["au"], params={"year": this_year()})
    assert [b["id"] for b in listed.json()["items"]] == [first.json()["id"]]
    preview = api.get("/insurance/households", as_=county["fo"], params={"year": this_year()})
    assert preview.json()["households"] == []


def test_a_household_enrolled_later_joins_the_supplementary_batch(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    first = enrol(api, county)["id"]
    annual = approved(api, county)
    later = enrol(api, county, village=3)["id"]
    supplementary = made(api, county)
    assert households(supplementary) == {later}
    assert (supplementary["kind"], supplementary["seq"]) == ("supplementary", 2)
    assert first in households(annual)
    assert decide(api, supplementary["id"], as_=county["ca"]).status_code == 200
    payouts = api.get("/payouts", as_=county["fo"], params={"application_id": later})
    assert [p["payee"] for p in payouts.json()["items"]] == ["insurer"]
    # The next year's batch lists both again: one policy per household and year.
    next_year = made(api, county, year=this_year() + 1)
    assert households(next_year) == {first, later}


def test_a_rejected_batch_owes_nothing_and_frees_its_households(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    case_id = enrol(api, county)["id"]
    batch = made(api, county)
    rejected = decide(api, batch["id"], as_=county["ca"], decision="reject", comment="名单有误")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert [p["status"] for p in rejected.json()["policies"]] == ["dropped"]
    payouts = api.get("/payouts", as_=county["fo"], params={"application_id": case_id})
    assert payouts.json()["items"] == []
    again = made(api, county)
    assert households(again) == {case_id}
    assert again["seq"] == 2


def test_a_household_that_left_before_approval_is_dropped_not_paid(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    stays = enrol(api, county)["id"]
    leaves = enrol(api, county, village=2)["id"]
    batch = made(api, county)
    assert revoke(api, leaves, as_=county["ca"]).status_code == 200
    decided = decide(api, batch["id"], as_=county["ca"]).json()
    statuses = {p["application_id"]: p["status"] for p in decided["policies"]}
    assert statuses == {stays: "approved", leaves: "dropped"}
    payouts = api.get("/payouts", as_=county["fo"], params={"application_id": leaves})
    assert [p for p in payouts.json()["items"] if p["payee"] == "insurer"] == []
