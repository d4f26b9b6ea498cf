"""The console with the programs the seeds name (圆梦行动再生育补助, 农村双女结扎奖励): the
submission form offers each with its documents in Chinese, a form submission opens the case, and
the case page names the program, its event, its documents and the amount paid."""

from __future__ import annotations

import re
from datetime import date

from tests.conftest import Api, Server
from tests.factories import VILLAGE_LIZHUANG, bank_card
from tests.programs.households import pay, person
from tests.web.pages import logged_in, visible_text


def _documents_box(html: str) -> str:
    box = html[html.index('id="required-documents"') :]
    return box[: box.index("</section>")]


def test_the_form_offers_the_grant_and_its_documents_in_chinese(server: Server) -> None:
    page = logged_in(server, "cw.lizhuang")
    html = page.get(
        "/applications/new",
        params={"program": "assisted_reproduction", "event_kind": "child_death"},
    ).text
    assert re.search(
        r'<option value="assisted_reproduction"[^>]*>圆梦行动再生育补助</option>', html
    )
    box = _documents_box(html)
    for name in ("独生子女父母光荣证", "死亡证明", "辅助生殖医院证明"):
        assert f"<li>{name}</li>" in box, name
    assert "assisted_reproduction_certificate" not in box  # words, not codes


def test_the_form_offers_the_reward_its_event_and_its_document_in_chinese(server: Server) -> None:
    page = logged_in(server, "cw.lizhuang")
    html = page.get(
        "/applications/new",
        params={"program": "two_daughter_sterilisation_reward", "event_kind": "sterilisation"},
    ).text
    assert re.search(
        r'<option value="two_daughter_sterilisation_reward"[^>]*>农村双女结扎奖励</option>', html
    )
    assert re.search(r'<option value="sterilisation"[^>]*>结扎（绝育）手术</option>', html)
    box = _documents_box(html)
    assert "<li>绝育手术证明</li>" in box
    assert box.count("<li>") == 5  # four common papers and the sterilisation certificate


def test_a_reward_submitted_on_the_form_is_paid_and_its_page_says_so(
    server: Server, api: Api
) -> None:
    page = logged_in(server, "cw.lizhuang")
    form: dict[str, object] = {
        "program": "two_daughter_sterilisation_reward",
        "village": VILLAGE_LIZHUANG,
        "applicant_name": "张桂芳",
        "applicant_id_number": person(
            born_from=date(1980, 1, 1), born_to=date(1990, 12, 28), female=True
        ),
        "relation": "mother",
        "bank_card": bank_card(),
        "two_daughters_sterilised": "1",
        "event_kind": "sterilisation",
        "event_date": "2026-03-02",
    }
    response = page.post("/applications/new", form)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/applications/(\d+)", response.headers["location"])
    assert match
    case_id = int(match.group(1))

    html = visible_text(page.get(f"/applications/{case_id}").text)
    assert "农村双女结扎奖励" in html
    assert "结扎（绝育）手术" in html
    assert "绝育手术证明" in html  # in the documents still to attach
    assert "sterilisation_certificate" not in re.sub(r'value="[^"]*"', "", html)

    pay(api, api.case(case_id), reference="TD-PAGE")
    paid = logged_in(server, "au.county").get(f"/applications/{case_id}").text
    amount = re.search(r'<dd id="case-amount"[^>]*><strong>([^<]*)</strong>', paid)
    assert amount
    assert amount.group(1) == "¥4,000.00"
    assert re.search(r'<td class="money">¥4,000.00</td><td><span[^>]*>已发放</span>', paid)
