"""The public pages 公示 and 公开 of the console, on both databases: no login needed, only the
masked data the public API gives, and the objection form 举报 that holds the payout.

Notices need a server whose notice lasts some days (the shared test server runs with
``RELIEF_NOTICE_DAYS=0``): this module starts its own, with a 7-day notice and a small
per-address limit of objections, as tests/notices/test_notices.py does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import VILLAGE_CHAIN, Api, Server
from tests.factories import application, id_number
from tests.flows.helpers import OwnServer, own_server
from tests.web.pages import Page, logged_in

COUNTY = "130123"
DONGCHENG = "130123100"
XIHE = "130123200"
PHONE = "13912345678"
MAX_PER_HOUR = 3
OFFICE_ZONE = "Asia/Shanghai"  # settings.timezone

# Resident IDs (17 digits and a check character), bank cards (16-19 digits) and mobile
# numbers, whole.
FULL_NUMBER = re.compile(r"(?<![\d*])(\d{17}[\dX]|\d{16,19}|1[3-9]\d{9})(?![\d*])")
# The session's CSRF token is random URL-safe base64: it can hold a run of digits by chance.
CSRF_INPUT = re.compile(r'(name="csrf_token" value=")[^"]*(")')
CSRF_META = re.compile(r'(<meta name="csrf-token" content=")[^"]*(")')


def assert_no_full_numbers(html: str) -> None:
    scanned = CSRF_META.sub(r"\1*\2", CSRF_INPUT.sub(r"\1*\2", html))
    found = FULL_NUMBER.search(scanned)
    assert found is None, f"a full number on a public page: {found.group(0) if found else ''}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def noticed_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnServer]:
    tmp: Path = tmp_path_factory.mktemp(f"web-notices-{request.param}")
    settings = {"RELIEF_NOTICE_DAYS": "7", "RELIEF_OBJECTION_MAX_PER_HOUR": str(MAX_PER_HOUR)}
    with own_server(request.param, tmp, **settings) as server:
        yield server


@pytest.fixture
def notice_api(noticed_server: OwnServer) -> Api:
    assert noticed_server.api is not None
    return noticed_server.api


@pytest.fixture
def site(notice_api: Api) -> Server:
    return notice_api.server


_addresses = iter(range(1, 1_000_000))


def _address() -> str:
    """A client address of its own (the server trusts X-Forwarded-For from loopback), so the
    tests do not share the per-address limit of objections."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def _on_notice(api: Api) -> tuple[dict, dict]:
    """A case with a phone and a spouse, approved by the county: (submitted body, case)."""
    body = application(spouse_id=id_number())
    body["household"]["phone"] = PHONE  # type: ignore[index]
    case = api.submit(body)
    for kind in case["required_documents"]:
        assert api.attach(case["id"], kind).status_code == 201
    for user in VILLAGE_CHAIN:
        api.act(case["id"], "approve", as_=user)
    case = api.case(case["id"])
    assert case["status"] == "notice"
    return body, case


def _notice_id(api: Api, case: dict) -> int:
    """The notice of ``case`` as the public API lists it."""
    response = api.get("/public/notices", as_=None, params={"county": COUNTY, "limit": 500})
    assert response.status_code == 200, response.text
    [notice] = [
        n for n in response.json()["items"] if n["id_number"] == case["applicant"]["id_number"]
    ]
    return int(notice["id"])


def _row(html: str, notice_id: int) -> str:
    """The card of one notice: its facts and its objection form."""
    action = f'action="/public/notices/{notice_id}/objections"'
    assert action in html, f"notice {notice_id} is not on the page"
    start = html.rindex('<li class="notice">', 0, html.index(action))
    return html[start : html.index("</li>", start)]


def _objections(api: Api, case_id: int) -> list[dict]:
    response = api.get(f"/applications/{case_id}/objections", as_="ca.county")
    assert response.status_code == 200, response.text
    return response.json()


def _county_tasks(api: Api, case_id: int) -> list[str]:
    response = api.get("/tasks", as_="ca.county", params={"application_id": case_id})
    assert response.status_code == 200, response.text
    return [task["spec"] for task in response.json()]


def _object(
    page: Page, notice_id: int, data: dict[str, object], *, address: str | None = None, **kw: object
) -> httpx.Response:
    form = {"county": COUNTY, **data}
    headers = {"X-Forwarded-For": address or _address()}
    return page.post(f"/public/notices/{notice_id}/objections", form, headers=headers, **kw)


# --- the notice page -------------------------------------------------------------------------


def test_anyone_sees_a_case_on_notice_masked(notice_api: Api, site: Server) -> None:
    body, case = _on_notice(notice_api)
    notice_id = _notice_id(notice_api, case)
    page = Page(site)
    response = page.get("/public/notices")  # the county by default: the only one
    assert response.status_code == 200
    html = response.text
    row = _row(html, notice_id)
    applicant = body["applicant"]  # type: ignore[index]
    assert "王*英" in row
    assert case["applicant"]["id_number"] in row  # 1301**********123X
    assert "李庄村" in row
    assert "¥3,000.00" in row
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 – \d{4}年\d{1,2}月\d{1,2}日", row)
    for number in (applicant["id_number"], body["household"]["bank_card"], PHONE):  # type: ignore[index]
        assert number not in html
    assert_no_full_numbers(html)
    # Anonymous: no session user, only the public link and the login button.
    assert 'href="/login"' in html
    assert 'href="/review"' not in html

    # The township select narrows the list.
    assert f"/public/notices/{notice_id}/" in page.get(f"/public/notices?township={DONGCHENG}").text
    other = page.get(f"/public/notices?county={COUNTY}&township={XIHE}")
    assert other.status_code == 200
    assert f"/public/notices/{notice_id}/" not in other.text
    assert_no_full_numbers(other.text)


def test_a_logged_in_user_keeps_their_navigation_on_the_public_page(
    notice_api: Api, site: Server
) -> None:
    page = logged_in(site, "ca.county")
    html = page.get(f"/public/notices?county={COUNTY}").text
    assert 'href="/review"' in html  # the county approver's navigation
    assert 'action="/logout"' in html
    assert_no_full_numbers(html)


def test_bad_region_parameters_are_an_html_422(site: Server) -> None:
    page = Page(site)
    for query in ("county=13012", f"county={COUNTY}&township=130124100"):
        response = page.get(f"/public/notices?{query}")
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")


# --- objections through the form ------------------------------------------------------------


def test_an_objection_through_the_form_holds_the_payout(notice_api: Api, site: Server) -> None:
    _body, case = _on_notice(notice_api)
    notice_id = _notice_id(notice_api, case)
    page = Page(site)
    page.get(f"/public/notices?county={COUNTY}&township={DONGCHENG}")
    text = "该户不符合条件，孩子仍健在。"
    response = _object(
        page, notice_id, {"text": text, "township": DONGCHENG, "contact": "13800001111"}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/public/notices?county={COUNTY}&township={DONGCHENG}"

    # The flow holds the case: the county's task 核查举报 opens and nothing is owed.
    assert notice_api.case(case["id"])["status"] == "held"
    assert _county_tasks(notice_api, case["id"]) == ["objection_review"]
    seen = _objections(notice_api, case["id"])
    assert [(o["text"], o["contact"]) for o in seen] == [(text, "13800001111")]
    pending = notice_api.get(
        "/payouts", as_="fo.county", params={"status": "pending", "application_id": case["id"]}
    )
    assert pending.json()["items"] == []

    # Back on the page: the confirmation once, and the notice marked as under review.
    html = page.get(response.headers["location"]).text
    assert '<p class="flash-ok">' in html
    assert "badge-status-held" in _row(html, notice_id)
    assert "13800001111" not in html
    assert_no_full_numbers(html)
    assert '<p class="flash-ok">' not in page.get(response.headers["location"]).text


def test_an_objection_without_text_is_refused_beside_the_field(
    notice_api: Api, site: Server
) -> None:
    _body, case = _on_notice(notice_api)
    notice_id = _notice_id(notice_api, case)
    page = Page(site)
    page.get("/public/notices")
    response = _object(page, notice_id, {"text": "   ", "contact": "村民老李"})
    assert response.status_code == 422
    row = _row(response.text, notice_id)
    error_id = f"objection-text-{notice_id}-error"
    assert f'id="{error_id}"' in row
    assert f'aria-describedby="{error_id}"' in row
    assert "<details open>" in row  # the refused form stays open, what was typed kept
    assert 'value="村民老李"' in row
    assert_no_full_numbers(response.text)
    # An overlong contact is refused by the API's own schema, beside its field.
    too_long = _object(page, notice_id, {"text": "有问题", "contact": "x" * 101})
    assert too_long.status_code == 422
    assert f'id="objection-contact-{notice_id}-error"' in too_long.text
    # Nothing was recorded, the case still waits at its notice.
    assert _objections(notice_api, case["id"]) == []
    assert notice_api.case(case["id"])["status"] == "notice"
    assert _county_tasks(notice_api, case["id"]) == []


def test_the_text_area_is_bounded_as_the_service_is(notice_api: Api, site: Server) -> None:
    _body, case = _on_notice(notice_api)
    notice_id = _notice_id(notice_api, case)
    page = Page(site)
    row = _row(page.get("/public/notices").text, notice_id)
    assert 'maxlength="2000"' in row  # settings.objection_max_chars
    response = _object(page, notice_id, {"text": "长" * 2001})
    assert response.status_code == 422
    assert _objections(notice_api, case["id"]) == []


def test_an_objection_without_the_csrf_token_is_refused(notice_api: Api, site: Server) -> None:
    _body, case = _on_notice(notice_api)
    notice_id = _notice_id(notice_api, case)
    page = Page(site)
    page.get("/public/notices")
    response = _object(page, notice_id, {"text": "有问题"}, csrf=False)
    assert response.status_code == 403
    assert _objections(notice_api, case["id"]) == []
    assert notice_api.case(case["id"])["status"] == "notice"


def test_objections_from_one_address_are_limited(notice_api: Api, site: Server) -> None:
    _body, case = _on_notice(notice_api)
    notice_id = _notice_id(notice_api, case)
    page = Page(site)
    page.get("/public/notices")
    address = _address()
    for n in range(MAX_PER_HOUR):
        assert _object(page, notice_id, {"text": f"第{n}次"}, address=address).status_code == 303
    refused = _object(page, notice_id, {"text": "太多了"}, address=address)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert len(_objections(notice_api, case["id"])) == MAX_PER_HOUR


def test_an_objection_to_no_notice_is_a_404_page(site: Server) -> None:
    page = Page(site)
    page.get("/public/notices")
    response = _object(page, 99_999_999, {"text": "有问题"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


# --- recipients of the year (the shared server: notices end at once, payouts follow) ---------


def test_the_recipients_of_a_year_are_listed_masked(api: Api, server: Server) -> None:
    body = application()
    case = api.submit(body)
    api.attach_required(case["id"])
    for user in VILLAGE_CHAIN:
        api.act(case["id"], "approve", as_=user)
    api.act(case["id"], "approve", as_="fo.county", data={"bank_reference": f"BOC-{case['id']}"})
    masked = api.case(case["id"])["applicant"]["id_number"]
    year = datetime.now(ZoneInfo(OFFICE_ZONE)).year
    page = Page(server)
    response = page.get(f"/public/recipients?county={COUNTY}&year={year}")
    assert response.status_code == 200
    html = response.text
    assert masked in html
    assert "王*英" in html
    assert "¥3,000.00" in html
    assert body["applicant"]["id_number"] not in html  # type: ignore[index]
    assert body["household"]["bank_card"] not in html  # type: ignore[index]
    assert_no_full_numbers(html)
    earlier = page.get(f"/public/recipients?county={COUNTY}&year={year - 5}")
    assert earlier.status_code == 200
    assert masked not in earlier.text
    assert page.get(f"/public/recipients?county={COUNTY}&year=1900").status_code == 422


# --- the county's objection review on the case page (issue 20) -------------------------------


def test_the_objection_review_shows_the_objection_masked(notice_api: Api, site: Server) -> None:
    _body, case = _on_notice(notice_api)
    notice_id = _notice_id(notice_api, case)
    text = "该户子女仍健在，申报不实。"
    answer = _object(Page(site), notice_id, {"text": text, "contact": "13800001111"})
    assert answer.status_code == 303, answer.text
    assert _county_tasks(notice_api, case["id"]) == ["objection_review"]

    html = logged_in(site, "ca.county").get(f"/applications/{case['id']}").text
    form = html.index('<form id="decision"')
    shown = html[html.index('id="objections-title"') : form]  # above the choices
    assert text in shown
    assert "138****1111" in shown  # the contact, masked
    assert "13800001111" not in html
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", shown)  # when it came
    # The task's own choices, saying what each does.
    choices = html[form : html.index("</fieldset>", form)]
    labels = re.findall(r'name="decision" value="(\w+)"[^>]*>\s*([^<]+)</label>', choices)
    assert [(code, label.strip()) for code, label in labels] == [
        ("reject", "举报属实，撤销认定"),
        ("approve", "举报不成立，继续公示"),
        ("return", "退回补正"),
    ]
    assert "认定撤销，不再发放" in choices
    assert "公示继续，期满后发放" in choices
    # Another user of the case, with no task on it, is not shown the objection.
    other = logged_in(site, "tr.dongcheng").get(f"/applications/{case['id']}").text
    assert text not in other
