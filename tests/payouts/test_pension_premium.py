"""The county's pension premium goes to the pension fund, listed per person, never to the card.

Seed 001 line 249: "对独生子女死亡、伤残的特别扶助对象,按照每人每年1000元的缴费标准由县财政代缴
全部养老保险费". Each year an enrolled special-assistance household gets its benefit on its card
(eligible parents × 2 × the year's standard) and the county pays 1,000 CNY per insured parent
to the pension insurance fund (the catalogue's ``county_pension_fund`` account): a payout of
its own, one person line per parent, in a bank batch of its own with a per-person roster.

Each test has a county of its own, so a batch holds exactly the payouts the test made.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.fresh_county import County, advance, make_county, submit_ready
from tests.payouts.helpers import bank_file, csv_rows, make_batch, post_results, xlsx_rows
from tests.programs.test_special_assistance import special

PREMIUM = 100000  # 1,000 CNY per insured person (workflows/programs.yaml)
STANDARD = {2025: 720000, 2026: 780000, 2027: 820000}  # child_death, from the catalogue
FUND = "county_pension_fund"
FUND_NAME = "县城乡居民养老保险基金"
FUND_ACCOUNT = "DEMO-6228480000000001"
MASKED_ID = re.compile(r"^\d{4}\*{10}[\dX]{4}$")
ACCOUNT_HEADER = ["户名", "账号", "开户行", "金额(元)", "业务参考号", "摘要"]


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def enrolled(api: Api, county: County, *, spouse: bool = True) -> dict:
    """A special-assistance household enrolled in the county this year."""
    case, task_id = submit_ready(api, county, body=special(spouse=spouse))
    advance(api, county, task_id, levels=4)
    detail = api.case(case["id"], as_=county["au"])
    assert detail["status"] == "enrolled"
    return detail


def generate(api: Api, county: County, year: int) -> dict:
    response = api.post("/payouts/yearly", as_=county["fo"], json={"year": year})
    assert response.status_code == 200, response.text
    return response.json()


def by_payee(api: Api, county: County, case_id: int, year: int) -> dict[str, dict]:
    payouts = api.case(case_id, as_=county["au"])["payouts"]
    return {p["payee"]: p for p in payouts if p["period"] == str(year)}


def masked(id_number: str) -> str:
    return id_number[:4] + "*" * 10 + id_number[-4:]


def test_the_premium_is_the_pension_fund_s_payout_never_on_the_household_card(
    api: Api, county: County
) -> None:
    case = enrolled(api, county)
    year = date.today().year
    run = generate(api, county, year)
    assert (run["created"], run["existing"]) == (2, 0)
    assert run["benefit_fen"] == 2 * 2 * STANDARD[year]
    assert run["premium_fen"] == 2 * PREMIUM
    assert run["total_fen"] == run["benefit_fen"] + run["premium_fen"]

    payouts = by_payee(api, county, case["id"], year)
    assert set(payouts) == {"household", "pension_fund"}
    family = payouts["household"]
    # The family's card gets the benefit only: 2 parents × 2 × the year's standard.
    assert family["amount_fen"] == 2 * 2 * STANDARD[year]
    assert family["payee_account"] is None
    assert family["persons"] == []
    assert "premium_fen_per_person" not in family["rule"]
    assert family["rule"]["formula"] == "eligible_parents × multiplier × standard_fen"

    fund = payouts["pension_fund"]
    assert fund["payee_account"] == FUND
    assert fund["amount_fen"] == 2 * PREMIUM
    assert fund["status"] == "pending"
    rule = fund["rule"]
    assert (rule["rule"], rule["insured_persons"], rule["premium_fen_per_person"]) == (
        "yearly_pension_premium",
        2,
        PREMIUM,
    )
    assert "代缴全部养老保险费" in rule["source"]
    # One line per insured parent: the applicant and the spouse, IDs masked.
    persons = [(p["line_no"], p["name"], p["id_number"], p["amount_fen"]) for p in fund["persons"]]
    assert persons == [
        (1, case["applicant"]["name"], masked_of(case["applicant"]), PREMIUM),
        (2, case["spouse"]["name"], masked_of(case["spouse"]), PREMIUM),
    ]
    assert all(MASKED_ID.match(p["id_number"]) for p in fund["persons"])

    # The API's payout list says the same, and the trail records both, persons masked.
    listed = api.get("/payouts", as_=county["fo"], params={"application_id": case["id"]}).json()
    assert {(p["payee"], p["amount_fen"], len(p["persons"])) for p in listed["items"]} == {
        ("household", 2 * 2 * STANDARD[year], 0),
        ("pension_fund", 2 * PREMIUM, 2),
    }
    pending = [
        e["after"] for e in _events(api, county, case["id"]) if e["action"] == "payout_pending"
    ]
    assert sorted(a["payee"] for a in pending) == ["household", "pension_fund"]
    (premium_event,) = [a for a in pending if a["payee"] == "pension_fund"]
    assert [p["id_number"] for p in premium_event["persons"]] == [
        masked_of(case["applicant"]),
        masked_of(case["spouse"]),
    ]


def masked_of(person: dict) -> str:
    """A person's ID as the API shows it (already masked there): compare masked with masked."""
    return person["id_number"] if "*" in person["id_number"] else masked(person["id_number"])


def _events(api: Api, county: County, case_id: int) -> list[dict]:
    params = {"application_id": case_id, "limit": 1000}
    response = api.get("/audit/events", as_=county["au"], params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_single_parent_is_one_insured_person(api: Api, county: County) -> None:
    case = enrolled(api, county, spouse=False)
    year = date.today().year
    generate(api, county, year)
    payouts = by_payee(api, county, case["id"], year)
    assert payouts["household"]["amount_fen"] == 2 * STANDARD[year]
    assert payouts["pension_fund"]["amount_fen"] == PREMIUM
    assert [p["name"] for p in payouts["pension_fund"]["persons"]] == [case["applicant"]["name"]]


def test_generating_a_year_twice_creates_nothing_the_second_time(api: Api, county: County) -> None:
    case = enrolled(api, county)
    year = date.today().year
    first = generate(api, county, year)
    again = generate(api, county, year)
    assert (again["created"], again["existing"], again["total_fen"]) == (0, 2, 0)
    assert again["payout_ids"] == []
    payouts = api.case(case["id"], as_=county["au"])["payouts"]
    assert sorted(p["id"] for p in payouts) == sorted(first["payout_ids"])
    fund = by_payee(api, county, case["id"], year)["pension_fund"]
    assert len(fund["persons"]) == 2  # no person line doubled either


def test_the_fund_has_its_own_batch_bank_file_and_person_roster(api: Api, county: County) -> None:
    cases = [enrolled(api, county), enrolled(api, county, spouse=False)]
    year = date.today().year
    generate(api, county, year)

    # The households' batch: the family's benefits on their cards, no premium.
    households = make_batch(api, county)
    assert households["payee"] == "household"
    assert households["total_fen"] == 2 * 2 * STANDARD[year] + 2 * STANDARD[year]
    assert {line["application_id"] for line in households["lines"]} == {c["id"] for c in cases}
    fo = county["fo"]
    roster = api.get(f"/payouts/batches/{households['id']}/roster", as_=fo)
    assert assert_problem(roster, 409, "conflict")["code"] == "batch-roster-households"

    # The fund's batch: one line per household's premium, every line to the fund's account.
    fund = make_batch(api, county, payee="pension_fund")
    assert (fund["payee"], fund["payee_account"], fund["payee_name"]) == (
        "pension_fund",
        FUND,
        FUND_NAME,
    )
    assert (fund["line_count"], fund["total_fen"]) == (2, 3 * PREMIUM)
    for line in fund["lines"]:
        assert line["bank_card"] == FUND_ACCOUNT[:4] + "*" * (len(FUND_ACCOUNT) - 8) + "0001"
        assert all(MASKED_ID.match(p["id_number"]) for p in line["persons"])
    assert [len(line["persons"]) for line in fund["lines"]] == [2, 1]
    # Nothing of either payee is left to batch.
    again = api.post("/payouts/batches", as_=fo, json={"payee": "pension_fund"})
    assert_problem(again, 409, "nothing-to-batch")

    rows = bank_file(api, county, fund["id"], "csv")
    assert rows[0] == ACCOUNT_HEADER
    body, total = rows[1:-1], rows[-1]
    assert [(r[0], r[1], r[3]) for r in body] == [
        (FUND_NAME, FUND_ACCOUNT, "2000.00"),
        (FUND_NAME, FUND_ACCOUNT, "1000.00"),
    ]
    assert [r[4] for r in body] == [line["reference"] for line in fund["lines"]]
    assert body[0][5] == f"{year}年度养老保险基金 案件{cases[0]['id']} 2人"
    assert total[:4] == ["合计", "2笔", "", "3000.00"]

    # The roster lists each insured person, ID masked, against the line that pays for them.
    response = api.get(
        f"/payouts/batches/{fund['id']}/roster", as_=county["au"], params={"format": "xlsx"}
    )
    assert response.status_code == 200, response.text
    sheet = xlsx_rows(response.content)
    assert sheet[1] == ["序号", "业务参考号", "案件编号", "年度", "姓名", "身份证号", "金额(元)"]
    people = sheet[2:-1]
    assert [(p[1], p[2], p[4], p[6]) for p in people] == [
        (fund["lines"][0]["reference"], cases[0]["id"], cases[0]["applicant"]["name"], "1000.00"),
        (fund["lines"][0]["reference"], cases[0]["id"], cases[0]["spouse"]["name"], "1000.00"),
        (fund["lines"][1]["reference"], cases[1]["id"], cases[1]["applicant"]["name"], "1000.00"),
    ]
    assert all(MASKED_ID.match(str(p[5])) for p in people)
    assert (sheet[-1][0], sheet[-1][4], sheet[-1][6]) == ("合计", "3人", "3000.00")
    csv_roster = api.get(f"/payouts/batches/{fund['id']}/roster", as_=fo, params={"format": "csv"})
    assert len(csv_rows(csv_roster.content)) == len(sheet)

    # The bank pays the fund's lines: the premiums are paid, the families' payouts untouched.
    results = [
        {"reference": line["reference"], "status": "paid", "amount_fen": line["amount_fen"]}
        for line in fund["lines"]
    ]
    outcome = post_results(api, county, fund["id"], results)
    assert outcome.status_code == 200, outcome.text
    assert outcome.json()["batch"]["status"] == "settled"
    for case in cases:
        payouts = by_payee(api, county, case["id"], year)
        assert payouts["pension_fund"]["status"] == "paid"
        assert payouts["household"]["status"] == "pending"  # in the households' open batch


def test_the_public_list_of_recipients_shows_the_family_s_benefit_only(
    api: Api, county: County
) -> None:
    case = enrolled(api, county)
    year = date.today().year
    generate(api, county, year)
    for payee, payout in by_payee(api, county, case["id"], year).items():
        paid = api.post(
            f"/payouts/{payout['id']}/pay", as_=county["fo"], json={"bank_reference": payee}
        )
        assert paid.status_code == 200, paid.text
        assert (paid.json()["status"], paid.json()["payee"]) == ("paid", payee)
    response = api.get("/public/recipients", as_=None, params={"county": county.code, "year": year})
    assert response.status_code == 200, response.text
    (shown,) = response.json()["items"]
    assert shown["amount"] == f"{2 * 2 * STANDARD[year] // 100}.00"
