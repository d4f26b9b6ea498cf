"""Every page of the main journeys is Chinese on a Chinese page (issue 20), on both databases.

Each user of the chain opens the pages they work on — inbox, case pages at each step, the
correction of a returned case, a paid case, the search, batch review, payouts, the trail, the
flows, people and places, the public notices — and the pages a refusal leads to (a form with
invalid entries, a case of another village). ``chinese.english_on`` reads what the browser
shows, diagrams included; any English word or raw code fails the test, naming the page.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import Api
from tests.web.browser.chinese import english_on
from tests.web.browser.conftest import Console, submit
from tests.web.browser.test_journeys import ABOVE_VILLAGE, case_url, fill, ready_case


def _read(console: Console, page: Page, path: str) -> list[str]:
    response = page.goto(console.url(path))
    assert response is not None
    page.wait_for_load_state("load")
    for diagram in page.locator(".diagram[data-bpmn-url]").all():
        expect(diagram).to_have_attribute("data-ready", "true")
    return english_on(page)


def test_the_main_journeys_pages_are_all_chinese(console: Console, api: Api) -> None:
    at_village = ready_case(api)
    at_township = ready_case(api, through=ABOVE_VILLAGE)
    at_county = ready_case(api, through=(*ABOVE_VILLAGE, "tr.dongcheng"))
    to_pay = ready_case(api, through=(*ABOVE_VILLAGE, "tr.dongcheng", "ca.county"))
    paid = ready_case(api, through=(*ABOVE_VILLAGE, "tr.dongcheng", "ca.county"))
    api.act(paid, "approve", as_="fo.county", data={"bank_reference": f"BOC-{paid}"})
    returned = ready_case(api, through=ABOVE_VILLAGE)
    api.act(returned, "return", as_="tr.dongcheng", comment="银行卡号有误")

    visits = (
        (None, "/login"),
        (None, "/public/notices"),
        ("cw.lizhuang", "/"),
        ("cw.lizhuang", "/applications/new"),
        ("cw.lizhuang", "/applications"),
        ("cw.lizhuang", case_url(at_village)),
        ("cw.lizhuang", case_url(returned)),
        ("cw.lizhuang", case_url(returned) + "/edit"),
        ("cw.lizhuang", case_url(paid)),
        ("vh.lizhuang", "/"),
        ("tr.dongcheng", "/"),
        ("tr.dongcheng", "/review"),
        ("tr.dongcheng", case_url(at_township)),
        ("ca.county", case_url(at_county)),
        ("fo.county", "/payouts"),
        ("fo.county", case_url(to_pay)),
        ("au.county", "/audit"),
        ("au.county", f"/audit?application_id={paid}"),
        ("admin", "/flows"),
        ("admin", "/flows/emergency_consolation/versions/1"),
        ("admin", "/people"),
        ("admin", "/regions"),
    )
    pages: dict[str | None, Page] = {}
    english: dict[str, list[str]] = {}
    for user, path in visits:
        if user not in pages:
            pages[user] = console.login(user) if user else console.open("anonymous")
        words = _read(console, pages[user], path)
        if words:
            english[f"{user or 'anyone'} {path}"] = sorted(set(words))
    assert english == {}, f"English or raw codes on Chinese pages: {english}"


def test_refusals_on_chinese_pages_are_chinese(console: Console, api: Api) -> None:
    """A form sent with invalid entries comes back with Chinese reasons; a case outside the
    user's villages is a Chinese 404 page."""
    caseworker = console.login("cw.lizhuang")
    caseworker.goto(console.url("/applications/new"))
    fill(caseworker, "program", "emergency_consolation")
    fill(caseworker, "applicant_name", "王秀英")
    fill(caseworker, "applicant_id_number", "110101199003071234")  # wrong check digit
    fill(caseworker, "bank_card", "6222021234567890123")  # fails the Luhn check
    fill(caseworker, "phone", "12345")
    caseworker.evaluate(
        "() => document.querySelectorAll('[required],[pattern]')"
        ".forEach(f => { f.removeAttribute('required'); f.removeAttribute('pattern'); })"
    )
    form = caseworker.locator("form[action='/applications/new'], form[action='/applications']")
    console.expect_status(422, "/applications")
    submit(caseworker, form.first.locator("button[type=submit]").first)
    assert english_on(caseworker) == []

    other_village = console.login("cw.hekou")
    case_id = ready_case(api)
    console.expect_status(404, case_url(case_id))
    other_village.goto(console.url(case_url(case_id)))
    assert english_on(other_village) == []
