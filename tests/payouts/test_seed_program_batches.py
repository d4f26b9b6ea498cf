"""The programs the seeds name (圆梦行动再生育补助, 农村双女结扎奖励) are paid by the county's bank
batch 批量代发 like every one-time program: each approved case's amount goes onto the household's
card, in the batch, and the bank's answer marks the case paid, audited."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import Api, Backend, MakeUser
from tests.fresh_county import County, approved_case, make_county
from tests.payouts.helpers import make_batch, post_results
from tests.programs.households import couple_case

AR, TD = 300000, 400000  # fen: assisted reproduction grant, two-daughter sterilisation reward


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def test_both_programs_are_paid_to_the_household_card_through_a_bank_batch(
    api: Api, county: County
) -> None:
    fo, au = county["fo"], county["au"]
    grant = approved_case(
        api,
        county,
        body=couple_case(
            "assisted_reproduction",
            "child_death",
            wife_born=(date(1985, 1, 1), date(1995, 12, 28)),
            household={"certificate_holder": True},
        ),
    )
    reward = approved_case(
        api,
        county,
        body=couple_case(
            "two_daughter_sterilisation_reward",
            "sterilisation",
            wife_born=(date(1980, 1, 1), date(1990, 12, 28)),
            household={"two_daughters_sterilised": True},
        ),
    )
    for case, amount in ((grant, AR), (reward, TD)):
        assert case["status"] == "approved", case["status"]
        (payout,) = case["payouts"]
        assert (payout["status"], payout["amount_fen"], payout["payee"]) == (
            "pending",
            amount,
            "household",
        )

    batch = make_batch(api, county)
    lines = {line["application_id"]: line for line in batch["lines"]}
    assert {case_id: line["amount_fen"] for case_id, line in lines.items()} == {
        grant["id"]: AR,
        reward["id"]: TD,
    }
    assert batch["total_fen"] == AR + TD
    results = [
        {
            "reference": line["reference"],
            "status": "paid",
            "amount_fen": line["amount_fen"],
            "bank_reference": f"RCC-{case_id}",
        }
        for case_id, line in lines.items()
    ]
    answer = post_results(api, county, batch["id"], results)
    assert answer.status_code == 200, answer.text
    assert answer.json()["batch"]["status"] == "settled"
    for case in (grant, reward):
        paid = api.case(case["id"], as_=au)
        assert paid["status"] == "paid"
        assert paid["payout"]["bank_reference"] == f"RCC-{case['id']}"
        actions = [
            e["action"]
            for e in api.get(
                "/audit/events", as_=au, params={"application_id": case["id"], "limit": 1000}
            ).json()["items"]
        ]
        assert "payout_batched" in actions
        assert actions.count("payout_paid") == 1
    assert api.get("/audit/verify", as_=au).json()["ok"] is True
    assert api.get("/tasks", as_=fo, params={"application_id": grant["id"]}).json() == []
