"""The console with the only-child parents' rewards (seed 003 line 355, sums set by the
county): the submission form offers them with their documents in Chinese and asks the child's
birth date; a form submission is refused in Chinese while the county has no amount, taken once
the administrator set one on 项目金额, and the case page shows the amount paid."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import Api, Backend, MakeUser, Server
from tests.factories import bank_card
from tests.fresh_county import County, chain, make_county
from tests.programs.households import person
from tests.web.pages import flash, logged_in, visible_text

MONTHLY = "only_child_monthly_reward"
THIS_YEAR = date.today().year


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def test_the_form_offers_the_rewards_their_event_and_documents_in_chinese(server: Server) -> None:
    page = logged_in(server, "cw.lizhuang")
    html = page.get(
        "/applications/new",
        params={"program": "second_child_waiver_reward", "event_kind": "second_child_waiver"},
    ).text
    assert re.search(
        r'<option value="second_child_waiver_reward"[^>]*>放弃二胎一次性奖励</option>', html
    )
    assert re.search(
        r'<option value="second_child_waiver"[^>]*>主动放弃二胎生育指标</option>', html
    )
    box = html[html.index('id="required-documents"') :]
    box = box[: box.index("</section>")]
    assert "<li>放弃二胎生育指标证明</li>" in box
    assert "<li>独生子女父母光荣证</li>" in box
    assert re.search(
        r'<option value="only_child_monthly_reward"[^>]*>独生子女父母奖励金</option>', html
    )
    assert 'name="child_birth_date"' in html
    assert "独生子女出生日期" in html


def test_a_monthly_reward_is_submitted_on_the_form_and_paid_the_county_s_amount(
    server: Server, api: Api, county: County
) -> None:
    page = logged_in(server, county["cw"])
    form: dict[str, object] = {
        "program": MONTHLY,
        "village": county.village(1),
        "applicant_name": "张桂芳",
        "applicant_id_number": person(
            born_from=date(1980, 1, 1), born_to=date(1990, 12, 28), female=True
        ),
        "relation": "mother",
        "bank_card": bank_card(),
        "certificate_holder": "1",
        "event_kind": "only_child_reward_year",
        "event_date": f"{THIS_YEAR}-01-01",
        "child_birth_date": f"{THIS_YEAR - 10}-05-20",
    }
    refused = page.post("/applications/new", form)
    assert refused.status_code in (303, 409), refused.text
    said = flash(page.get(refused.headers["location"]).text) if refused.status_code == 303 else ""
    said = said or visible_text(refused.text)
    assert "尚未设定" in said
    assert "独生子女父母奖励金" in said

    admin = logged_in(server, county["admin"])
    admin.get("/programs/amounts")
    set_form = {"program": MONTHLY, "year": str(THIS_YEAR), "amount": "10"}
    assert admin.post("/programs/amounts", set_form).status_code == 303

    page.get("/applications/new")
    response = page.post("/applications/new", form)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/applications/(\d+)", response.headers["location"])
    assert match
    case_id = int(match.group(1))
    html = visible_text(page.get(f"/applications/{case_id}").text)
    assert "独生子女父母奖励金" in html
    assert "独生子女父母光荣证" in html
    # Before approval the page says what the county's amount makes: 12 months × ¥10.
    assert "¥120.00" in html
    assert "¥0.00" not in html

    case = api.case(case_id, as_=county["au"])
    for kind in case["required_documents"]:
        assert api.attach(case_id, kind, as_=county["cw"]).status_code == 201
    for user in chain(county):
        api.act(case_id, "approve", as_=user)
    api.act(case_id, "approve", as_=county["fo"], data={"bank_reference": "PAGE-M"})
    assert api.case(case_id, as_=county["au"])["payout"]["amount_fen"] == 12 * 1000
    assert "¥120.00" in visible_text(page.get(f"/applications/{case_id}").text)
