"""The console's submission form asks the caseworker to confirm a family-planning family
计划生育家庭 (特困救助), names the proofs a ticked priority group needs, and the case page and
its timeline show the confirmation; in Chinese, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

from tests.conftest import Api, Server
from tests.factories import VILLAGE_LIZHUANG, bank_card, id_number
from tests.web.pages import logged_in

CONFIRM_ZH = "我确认该户为计划生育家庭，并已查验相关证件原件"


def _form(**changes: str) -> dict[str, object]:
    form: dict[str, object] = {
        "program": "hardship_relief",
        "village": VILLAGE_LIZHUANG,
        "applicant_name": "王秀英",
        "applicant_id_number": id_number(),
        "relation": "mother",
        "bank_card": bank_card(),
        "two_daughters_sterilised": "1",
        "event_kind": "disaster",
        "event_date": date.today().isoformat(),
    }
    form.update(changes)
    return form


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', html)
    return match.group(1) if match else ""


def test_the_form_has_the_confirmation_in_chinese_and_names_the_proof_of_a_tick(
    server: Server,
) -> None:
    page = logged_in(server, "cw.lizhuang")
    html = page.get(
        "/applications/new", params={"program": "hardship_relief", "event_kind": "disaster"}
    ).text
    assert 'type="checkbox"' in html
    assert 'name="family_planning_confirmed"' in html
    assert CONFIRM_ZH in html
    assert "计划生育家庭" in html
    box = html[html.index('id="required-documents"') :]
    box = box[: box.index("</section>")]
    assert "绝育手术证明" in box  # the sterilisation proof, when the tick claims it
    assert "独生子女父母光荣证" in box
    assert "sterilisation_certificate" not in box


def test_a_hardship_form_without_the_confirmation_is_refused_beside_the_box(
    server: Server, api: Api
) -> None:
    page = logged_in(server, "cw.lizhuang")
    page.get("/applications/new")
    form = _form()
    response = page.post("/applications/new", form)
    assert response.status_code == 422
    said = _field_error(response.text, "family_planning_confirmed")
    assert "计划生育家庭" in said, response.text
    assert "confirm" not in said  # Chinese, not the API's English

    response = page.post("/applications/new", form | {"family_planning_confirmed": "1"})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    case_id = int(location.rsplit("/", 1)[1])
    assert api.case(case_id)["family_planning_confirmed"] is True

    case_page = page.get(location).text
    confirmed = case_page[case_page.index('id="family-planning-confirmed"') :]
    assert "村计生专干提交时已确认，已查验原件" in confirmed[: confirmed.index("</dd>")]
    timeline = case_page[case_page.index('id="timeline"') :]
    assert "已确认计划生育家庭，已查验原件" in timeline
    assert "绝育手术证明" in case_page  # listed missing until attached
