"""Finding cases: the case list and search page (/applications), the API's search filters, the
inbox rows' applicant, the landing page of auditors and administrators, and the audit page's
change column in Chinese. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import random
import re
from datetime import date, timedelta

import pytest

from tests.attack.rules import COUNTY_KEY, PAGES
from tests.conftest import DEMO_PASSWORD, Api, Backend, MakeUser, Server, assert_problem
from tests.factories import application, id_number
from tests.fresh_county import County, approved_case, make_county
from tests.web import pages
from tests.web.pages import Page, logged_in

NAMES = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
OTHER = "马丽丽"  # none of its characters in NAMES


def _name() -> str:
    """A three-character name unlikely to be in any other test's county."""
    return "".join(random.choice(NAMES) for _ in range(3))


def _submit(api: Api, county: County, *, village: int = 1, name: str | None = None) -> dict:
    body = application(village=county.village(village), applicant_id=id_number())
    if name:
        body["applicant"]["name"] = name  # type: ignore[index]
    caseworker = {1: county["cw"], 2: county["cw2"], 3: county["cw3"]}[village]
    return api.submit(body, as_=caseworker)


def _case_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/applications/(\d+)">#\d+</a>', text)]


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def test_search_by_name_shows_the_name_masked_and_never_the_id(
    server: Server, api: Api, county: County
) -> None:
    name = _name()
    case = _submit(api, county, name=name)
    _submit(api, county, name=OTHER)
    page = logged_in(server, county["tr"])
    # Part of the stored name, as an office worker types it.
    response = page.get("/applications", params={"name": name[1:]})
    assert response.status_code == 200, response.text
    assert _case_ids(response.text) == [case["id"]]
    results = response.text.split('id="results-title"')[1]
    assert f"{name[0]}*{name[2]}" in results
    assert name not in results  # the full name only in the search box the user typed it in
    full_id = api.case(case["id"], as_=county["au"])["applicant"]["id_number"]
    assert "*" in full_id  # the API's own view is masked too
    assert re.search(r"\d{17}[\dX]", response.text) is None  # no full ID number anywhere
    assert "案件查询" in response.text  # the nav entry and title, in Chinese


def test_each_filter_narrows_the_list(server: Server, api: Api, county: County) -> None:
    first = _submit(api, county, village=1)
    second = _submit(api, county, village=2)
    third = _submit(api, county, village=3)
    api.post(f"/applications/{second['id']}/withdraw", as_=county["cw2"], json={"reason": "户撤回"})
    page = logged_in(server, county["ca"])

    def found(**params: str) -> list[int]:
        response = page.get("/applications", params=params)
        assert response.status_code == 200, response.text
        return _case_ids(response.text)

    everything = found()
    assert everything[:3] == [third["id"], second["id"], first["id"]]  # newest first
    assert found(number=str(second["id"])) == [second["id"]]
    assert found(number=f"#{first['id']}") == [first["id"]]
    suffix = application_id_suffix(api, county, third["id"])
    assert third["id"] in found(id_suffix=suffix)
    assert found(id_suffix=suffix, region=county.village(3)) == [third["id"]]
    assert found(id_suffix=suffix, region=county.village(1)) == [
        case for case in [first["id"]] if id_of(api, county, first).endswith(suffix)
    ]
    assert found(region=county.village(2)) == [second["id"]]
    assert found(region=county.township) == [second["id"], first["id"]]
    assert found(status="withdrawn") == [second["id"]]
    assert found(status="in_progress", region=county.township) == [first["id"]]
    assert found(program="emergency_consolation")[:3] == everything[:3]
    assert found(program="special_assistance") == []
    today = date.today()
    assert found(**{"from": today.isoformat()})[:3] == everything[:3]
    assert found(to=(today - timedelta(days=2)).isoformat()) == []


def application_id_suffix(api: Api, county: County, case_id: int) -> str:
    """The last four characters of a case's applicant ID number (what the API shows)."""
    return api.case(case_id, as_=county["au"])["applicant"]["id_number"][-4:]


def id_of(api: Api, county: County, case: dict) -> str:
    return str(api.case(case["id"], as_=county["au"])["applicant"]["id_number"])


def test_keyset_pages_follow_the_next_link(server: Server, api: Api, county: County) -> None:
    ids = [_submit(api, county)["id"] for _ in range(53)]
    page = logged_in(server, county["cw"])
    response = page.get("/applications")
    assert response.status_code == 200
    first = _case_ids(response.text)
    assert first == sorted(ids, reverse=True)[:50]
    link = re.search(r'<a class="btn" href="([^"]+)" rel="next">', response.text)
    assert link, "a next-page link"
    assert f"cursor={first[-1]}" in link.group(1)
    second = page.get(html.unescape(link.group(1)))
    rest = _case_ids(second.text)
    assert rest[:3] == sorted(ids, reverse=True)[50:53]
    assert not set(first) & set(rest)
    assert "offset" not in link.group(1)


def test_jurisdiction_bounds_the_search(server: Server, api: Api, county: County) -> None:
    case = _submit(api, county, village=1)
    # The reviewer of the other township sees none of the village's cases, whatever is asked.
    other = logged_in(server, county["tr2"])
    assert case["id"] not in _case_ids(other.get("/applications").text)
    assert _case_ids(other.get("/applications", params={"number": case["id"]}).text) == []
    outside = other.get("/applications", params={"region": county.village(1)})
    assert _case_ids(outside.text) == []
    assert case["id"] in _case_ids(logged_in(server, county["tr"]).get("/applications").text)
    assert case["id"] in _case_ids(logged_in(server, county["au"]).get("/applications").text)
    # An administrator works on no case: no such page.
    admin = logged_in(server, county["admin"])
    assert admin.get("/applications").status_code == 404


def test_bad_input_is_answered_beside_the_field(server: Server, county: County) -> None:
    page = logged_in(server, county["ca"])
    response = page.get(
        "/applications", params={"id_suffix": "123", "from": "2026-02-30", "number": "abc"}
    )
    assert response.status_code == 422
    assert "请输入身份证号的后4至6位。" in response.text
    assert "请输入案件编号。" in response.text
    assert 'id="a-from-error"' in response.text
    assert 'name="id_suffix"' in response.text  # the form, not an error page


def test_api_search_filters(api: Api, county: County) -> None:
    name = _name()
    case = _submit(api, county, name=name)
    _submit(api, county, name=OTHER)

    def listed(as_: str = county["ca"], **params: object) -> list[int]:
        response = api.get("/applications", as_=as_, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert listed(name=name[:2], region=county.code) == [case["id"]]
    assert listed(name=OTHER[1:], region=county.code) != [case["id"]]
    assert listed(number=case["id"]) == [case["id"]]
    suffix = application_id_suffix(api, county, case["id"])
    assert case["id"] in listed(id_suffix=suffix, region=county.code)
    assert listed(number=case["id"], as_=county["tr2"]) == []
    assert listed(name="%", region=county.code) == []  # a wildcard is a character, not a pattern
    assert_problem(api.get("/applications", as_=county["ca"], params={"id_suffix": "123"}), 422)


def test_inbox_rows_show_the_masked_applicant(server: Server, api: Api, county: County) -> None:
    name = _name()
    case = _submit(api, county, name=name)
    page = logged_in(server, county["cw"])
    inbox = page.get("/").text
    assert f'<a href="/applications/{case["id"]}">#{case["id"]}</a>' in inbox
    assert f"{name[0]}*{name[2]}" in inbox
    assert name not in inbox
    assert "李庄村" in inbox  # the village by name
    assert "stack-cards" in inbox  # rows become cards at phone width


def test_auditors_and_admins_land_on_their_own_page(server: Server, county: County) -> None:
    for user, landing in ((county["au"], "/audit"), (county["admin"], "/flows")):
        page = Page(server)
        page.get("/login")
        response = page.post("/login", {"username": user, "password": DEMO_PASSWORD})
        assert response.status_code == 303, response.text
        start = page.get(response.headers["location"])
        assert start.status_code == 303, user
        assert start.headers["location"] == landing, user
        assert page.get(landing).status_code == 200
        assert 'href="/"' not in page.get(landing).text.replace('class="brand" href="/"', "")
    worker = logged_in(server, county["cw"])
    assert worker.get("/").status_code == 200  # the inbox


def test_audit_change_column_speaks_chinese(server: Server, api: Api, county: County) -> None:
    case = _submit(api, county)
    # A refused action: a township reviewer cannot withdraw (403 is recorded).
    refused = api.post(
        f"/applications/{case['id']}/withdraw", as_=county["tr"], json={"reason": "不该成功"}
    )
    assert refused.status_code == 403
    page = logged_in(server, county["au"])
    response = page.get("/audit", params={"application_id": case["id"]})
    assert response.status_code == 200
    cells = re.findall(r'<td class="change">(.*?)</td>', response.text, re.DOTALL)
    assert "— → 审核中" in cells
    assert "无权执行此操作" in cells  # the refusal's title, not "— → 403"
    assert "403" not in "".join(cells)
    assert "<td>action_refused</td>" not in response.text
    english = pages.english(page).get("/audit", params={"application_id": case["id"]}).text
    assert "— → In progress" in english
    assert "You may not do this" in english


def test_the_case_list_is_gated_as_the_attack_table_says(server: Server, county: County) -> None:
    rule = PAGES[("GET", "/applications")]
    for role, key in COUNTY_KEY.items():
        page = logged_in(server, county[key])
        expected = 200 if role in rule.roles else 404
        assert page.get("/applications").status_code == expected, role
        nav = 'href="/applications"' in page.get("/public/notices").text
        assert nav == (role in rule.roles), role  # the menu offers it to exactly those
    assert Page(server).get("/applications").status_code == 303  # to the login form


def test_the_batch_period_is_a_choice_not_a_code_to_type(
    server: Server, api: Api, county: County
) -> None:
    approved_case(api, county)
    page = logged_in(server, county["fo"])
    text = page.get("/payouts").text
    choice = re.search(r'<select id="batch-period" name="period".*?</select>', text, re.S)
    assert choice, "the period is chosen from a list"
    assert '<option value="once">一次性' in choice.group(0)
    assert '<option value="">全部期次</option>' in choice.group(0)
    assert '"once"' not in text.replace('value="once"', "")  # no code to type in the hint
    # Choosing one-time payouts batches the pending one-time payout.
    made = page.post("/payouts/batches", {"program": "", "period": "once"})
    assert made.status_code == 303, made.text
