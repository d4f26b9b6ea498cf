"""圆梦行动再生育补助 in a real browser, on SQLite and PostgreSQL: the caseworker picks the program
and sees its documents (the hospital's certificate among them) appear, submits the couple's case,
uploads every document and approves; the chain above approves it and the household is paid
3,000 CNY, which the case page shows on a desktop and on a phone without sideways scrolling."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import Api
from tests.factories import bank_card
from tests.programs.households import person
from tests.web.browser.conftest import DESKTOP, PHONE, Console, screenshot, submit
from tests.web.browser.test_journeys import decide, fill, upload_documents

DOCUMENTS = (
    "application_form",
    "id_card",
    "hukou",
    "bank_card",
    "spouse_id_card",
    "only_child_certificate",
    "death_certificate",
    "assisted_reproduction_certificate",
)


def test_a_couple_s_grant_goes_from_the_form_to_paid(
    console: Console, api: Api, tmp_path: Path
) -> None:
    caseworker = console.login("cw.lizhuang")
    caseworker.goto(console.url("/applications/new"))
    box = caseworker.locator("#required-documents")
    fill(caseworker, "program", "assisted_reproduction")
    # As a person does, the event is chosen once the box has answered the program's choice
    # (htmx drops a refresh asked for while one is in flight).
    expect(box.locator("p.empty")).to_be_visible()
    caseworker.wait_for_load_state("networkidle")
    fill(caseworker, "event_kind", "child_death")
    # The box is refreshed for the program and event chosen: its documents, in Chinese.
    expect(box.locator("li")).to_have_count(7)
    expect(box).to_contain_text("辅助生殖医院证明")
    values = {
        "applicant_name": "刘秀梅",
        "applicant_id_number": person(
            born_from=date(1986, 1, 1), born_to=date(1992, 12, 28), female=True
        ),
        "relation": "mother",
        "spouse_name": "陈志强",
        "spouse_id_number": person(
            born_from=date(1984, 1, 1), born_to=date(1990, 12, 28), female=False
        ),
        "bank_card": bank_card(),
        "certificate_holder": True,
        "event_date": "2025-09-20",
    }
    for name, value in values.items():
        fill(caseworker, name, value)
    screenshot(caseworker, "assisted-reproduction-new")
    submit(caseworker, caseworker.locator("form[action='/applications/new'] button[type=submit]"))
    match = re.search(r"/applications/(\d+)$", caseworker.url.split("?")[0])
    assert match, caseworker.url
    case_id = int(match.group(1))
    expect(caseworker.locator("#eligibility")).to_have_attribute("data-eligibility", "eligible")

    upload_documents(caseworker, DOCUMENTS, tmp_path)
    decide(caseworker, "approve", "入户调查属实，医院证明已核")
    for user in ("vh.lizhuang", "tr.dongcheng", "ca.county"):
        api.act(case_id, "approve", as_=user)
    api.act(case_id, "approve", as_="fo.county", data={"bank_reference": f"AR-{case_id}"})

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = console.login("au.county", viewport=viewport)
        page.goto(console.url(f"/applications/{case_id}"))
        expect(page.locator('#case-status[data-status="paid"]')).to_be_visible()
        expect(page.locator("#case-amount")).to_contain_text("¥3,000.00")
        expect(page.locator("#main")).to_contain_text("圆梦行动再生育补助")
        sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert sideways <= 0, f"{name}: the case page scrolls sideways by {sideways} px"
        screenshot(page, f"assisted-reproduction-case-{name}")
