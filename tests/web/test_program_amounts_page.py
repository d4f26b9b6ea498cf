"""项目金额 (/programs/amounts): the county's administrator sets the yearly amount of the
programs whose sums seed 003 leaves blank, in yuan, in Chinese; others get the 404 page."""

from __future__ import annotations

from datetime import date

import pytest

from tests.attack.rules import COUNTY_KEY, PAGES, ROLES
from tests.conftest import Api, Backend, MakeUser, Server
from tests.fresh_county import County, make_county
from tests.web.pages import flash, logged_in

MONTHLY = "only_child_monthly_reward"
THIS_YEAR = date.today().year


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def test_the_administrator_sets_a_yearly_amount_in_yuan(
    server: Server, api: Api, county: County
) -> None:
    page = logged_in(server, county["admin"])
    shown = page.get("/programs/amounts")
    assert shown.status_code == 200
    assert "项目金额" in shown.text
    assert "独生子女父母奖励金" in shown.text
    assert "放弃二胎一次性奖励" in shown.text
    assert "尚未设定金额" in shown.text
    form = {"program": MONTHLY, "year": str(THIS_YEAR), "amount": "10.50"}
    response = page.post("/programs/amounts", form)
    assert response.status_code == 303, response.text
    after = page.get("/programs/amounts").text
    assert "金额已设定" in flash(after)
    assert f'id="amount-{MONTHLY}-{THIS_YEAR}"' in after
    assert "¥10.50" in after
    listed = api.get(f"/programs/{MONTHLY}/amounts", as_=county["admin"]).json()
    assert [(row["county_code"], row["amount_fen"]) for row in listed] == [(county.code, 1050)]


@pytest.mark.parametrize(
    ("amount", "year", "said"),
    [
        ("十元", str(THIS_YEAR), "请以元为单位填写金额"),
        ("1000.01", str(THIS_YEAR), "不超过¥1,000.00"),  # the catalogue's most per month
        ("0", str(THIS_YEAR), "金额须大于0"),
        ("10", "1999", "年度应在2000至"),
    ],
)
def test_a_refused_amount_is_said_in_chinese_and_sets_nothing(
    server: Server, api: Api, county: County, amount: str, year: str, said: str
) -> None:
    page = logged_in(server, county["admin"])
    page.get("/programs/amounts")
    response = page.post("/programs/amounts", {"program": MONTHLY, "year": year, "amount": amount})
    assert response.status_code == 303, response.text
    assert said in flash(page.get("/programs/amounts").text)
    assert api.get(f"/programs/{MONTHLY}/amounts", as_=county["admin"]).json() == []


def test_only_the_administrator_has_the_page(server: Server, county: County) -> None:
    for role in ROLES:
        page = logged_in(server, county[COUNTY_KEY[role]])
        allowed = role in PAGES[("GET", "/programs/amounts")].roles
        assert page.get("/programs/amounts").status_code == (200 if allowed else 404), role
        posted = page.post("/programs/amounts", {"program": MONTHLY, "year": "2026", "amount": "1"})
        assert (posted.status_code == 303) is allowed, role
