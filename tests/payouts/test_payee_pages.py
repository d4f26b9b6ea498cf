"""The console names who a payout goes to, in Chinese, and lists the fund's persons masked.

The finance officer's /payouts page and the case page show 户卡 for the family's benefit and
养老保险基金 for the pension premium with one line per insured parent (ID masked); the batch
form makes the fund's batch, whose person roster is downloaded from the console. The roster
page is the finance officer's (as PAGES in tests/attack/rules.py says).
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.attack.rules import COUNTY_KEY, PAGES, ROLES
from tests.conftest import Api, Backend, MakeUser, Server
from tests.fresh_county import County, make_county
from tests.payouts.helpers import xlsx_rows
from tests.payouts.test_pension_premium import enrolled, generate
from tests.web.pages import logged_in

MASKED_ID = re.compile(r"\d{4}\*{10}[\dX]{4}")


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def test_the_case_page_and_the_payouts_page_name_the_payee_in_chinese(
    server: Server, api: Api, county: County
) -> None:
    case = enrolled(api, county)
    generate(api, county, date.today().year)
    page = logged_in(server, county["fo"])  # the console speaks Chinese by default

    shown = page.get(f"/applications/{case['id']}")
    assert shown.status_code == 200, shown.text
    rows = re.findall(r'<tr class="payout payee-(\w+)">(.*?)</tr>', shown.text, re.S)
    assert {payee for payee, _ in rows} == {"household", "pension_fund"}
    by_payee = dict(rows)
    assert "户卡" in by_payee["household"]
    assert "养老保险基金" in by_payee["pension_fund"]
    persons = re.findall(r"<li>([^<]*)</li>", by_payee["pension_fund"])
    assert len(persons) == 2
    assert all(MASKED_ID.search(person) for person in persons)
    assert case["applicant"]["name"] in persons[0]
    full_ids = re.findall(r"\b\d{17}[\dX]\b", shown.text)
    assert full_ids == []  # no resident ID in full anywhere on the page

    listing = page.get("/payouts")
    assert listing.status_code == 200
    assert "养老保险基金" in listing.text
    assert '<option value="pension_fund"' in listing.text

    made = page.post("/payouts/batches", {"payee": "pension_fund", "program": "", "period": ""})
    assert made.status_code == 303, made.text
    (batch,) = api.get("/payouts/batches", as_=county["fo"]).json()["items"]
    assert batch["payee"] == "pension_fund"
    listing = page.get("/payouts")
    assert "县城乡居民养老保险基金" in listing.text
    assert f"/payouts/batches/{batch['id']}/roster?format=xlsx" in listing.text

    roster = page.get(f"/payouts/batches/{batch['id']}/roster?format=xlsx")
    assert roster.status_code == 200, roster.text
    sheet = xlsx_rows(roster.content)
    assert [row[4] for row in sheet[2:-1]] == [case["applicant"]["name"], case["spouse"]["name"]]


def test_a_wrong_payee_in_the_batch_form_is_refused_in_words(
    server: Server, api: Api, county: County
) -> None:
    enrolled(api, county)
    generate(api, county, date.today().year)
    page = logged_in(server, county["fo"])
    page.get("/payouts")
    answer = page.post("/payouts/batches", {"payee": "the-neighbour", "program": "", "period": ""})
    assert answer.status_code == 422
    assert "请选择本批次的收款方" in answer.text
    assert api.get("/payouts/batches", as_=county["fo"]).json()["items"] == []


def test_only_the_finance_officer_downloads_a_roster_from_the_console(
    server: Server, api: Api, county: County
) -> None:
    enrolled(api, county)
    generate(api, county, date.today().year)
    batch = api.post("/payouts/batches", as_=county["fo"], json={"payee": "pension_fund"})
    assert batch.status_code == 201, batch.text
    path = f"/payouts/batches/{batch.json()['id']}/roster"
    allowed = PAGES[("GET", "/payouts/batches/{batch_id}/roster")].roles
    for role in ROLES:
        response = logged_in(server, county[COUNTY_KEY[role]]).get(path)
        assert (response.status_code == 200) == (role in allowed), (role, response.status_code)
    # Another county's finance officer does not see the batch at all.
    assert logged_in(server, "fo.county").get(path).status_code == 404
