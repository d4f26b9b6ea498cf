"""The caseworker's pages: submitting a case, its documents, correcting a returned case."""

from __future__ import annotations

import re
from datetime import date

from tests.conftest import Api, MakeUser, Server
from tests.factories import PDF, PNG, VILLAGE_LIZHUANG, bank_card, id_number
from tests.web.pages import Page, logged_in


def _form(**changes: str) -> dict[str, object]:
    form: dict[str, object] = {
        "program": "emergency_consolation",
        "village": VILLAGE_LIZHUANG,
        "applicant_name": "王秀英",
        "applicant_id_number": id_number(),
        "relation": "mother",
        "bank_card": bank_card(),
        "phone": "13812345678",
        "certificate_holder": "1",
        "event_kind": "child_death",
        "event_date": date.today().isoformat(),
    }
    form.update(changes)
    return form


def _field_error(html: str, field: str) -> str:
    """The message shown beside a field (empty when there is none)."""
    match = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', html)
    return match.group(1) if match else ""


def _newest_case(api: Api) -> int:
    response = api.get("/applications", as_="cw.lizhuang", params={"limit": 1})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return items[0]["id"] if items else 0


def _new_page(server: Server) -> Page:
    page = logged_in(server, "cw.lizhuang")
    assert page.get("/applications/new").status_code == 200
    return page


def test_only_caseworkers_get_the_submission_form(server: Server) -> None:
    for username in ("vh.lizhuang", "ca.county", "au.county"):
        page = logged_in(server, username)
        assert page.get("/applications/new").status_code == 404, username
        assert page.post("/applications/new", _form()).status_code == 404, username
    page = logged_in(server, "cw.lizhuang")
    html = page.get("/applications/new").text
    for name in ("program", "village", "applicant_id_number", "bank_card", "event_date"):
        assert f'name="{name}"' in html
    assert f'<option value="{VILLAGE_LIZHUANG}" selected>' in html  # the caseworker's village


def test_the_form_lists_the_documents_the_program_requires(server: Server) -> None:
    page = logged_in(server, "cw.lizhuang")
    html = page.get(
        "/applications/new",
        params={"program": "emergency_consolation", "event_kind": "child_death"},
        headers={"Accept-Language": "en"},
    ).text
    box = html[html.index('id="required-documents"') :]
    box = box[: box.index("</section>")]
    assert "death_certificate" not in box  # labels, not codes
    assert box.count("<li>") == 6  # four common kinds and the two of a child's death


def test_a_valid_form_submits_the_case_and_shows_it(server: Server, api: Api) -> None:
    page = _new_page(server)
    form = _form(applicant_name="赵桂兰")
    response = page.post("/applications/new", form)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/applications/(\d+)", response.headers["location"])
    assert match
    case = api.case(int(match.group(1)))
    assert case["applicant"]["name"] == "赵桂兰"
    assert case["applicant"]["id_number"].endswith(str(form["applicant_id_number"])[-4:])
    assert case["relation"] == "mother"
    assert case["household"]["certificate_holder"] is True
    assert case["village"] == VILLAGE_LIZHUANG
    assert case["status"] == "in_progress"


def test_a_wrong_check_digit_or_card_number_is_shown_beside_its_field(
    server: Server, api: Api
) -> None:
    page = _new_page(server)
    before = _newest_case(api)
    good = id_number()
    wrong_digit = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = page.post("/applications/new", _form(applicant_id_number=wrong_digit))
    assert response.status_code == 422
    # The page's language (Chinese), from the field error's code, not the API's English.
    assert "校验码不符" in _field_error(response.text, "applicant_id_number")
    assert _field_error(response.text, "bank_card") == ""
    assert 'value="王秀英"' in response.text  # what was typed stays in the form

    card = bank_card()
    wrong_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    response = page.post("/applications/new", _form(bank_card=wrong_card))
    assert response.status_code == 422
    assert _field_error(response.text, "bank_card") == "该银行卡号有误，请核对。"
    assert _field_error(response.text, "applicant_id_number") == ""
    assert f'value="{wrong_card}"' in response.text

    assert _newest_case(api) == before  # nothing was created


def test_an_upload_through_the_page_ticks_the_document_off_and_downloads_unchanged(
    server: Server, api: Api
) -> None:
    case_id = api.submit()["id"]
    page = logged_in(server, "cw.lizhuang")
    page.get("/")
    # As htmx sends it: the documents section comes back with the document ticked off.
    response = page.post(
        f"/applications/{case_id}/documents",
        {"kind": "id_card"},
        files={"file": ("身份证 正面.pdf", PDF, "application/pdf")},
        headers={"HX-Request": "true", "Accept-Language": "en"},
    )
    assert response.status_code == 200, response.text
    assert response.text.startswith('<section id="documents"')
    assert "身份证 正面.pdf" in response.text
    # Without script: back to the case page.
    response = page.post(
        f"/applications/{case_id}/documents",
        {"kind": "hukou"},
        files={"file": ("hukou.png", PNG, "image/png")},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/applications/{case_id}#documents"

    case = api.case(case_id)
    kinds = {document["kind"]: document for document in case["documents"]}
    assert set(kinds) == {"id_card", "hukou"}
    assert "id_card" not in case["missing_documents"]
    assert "hukou" not in case["missing_documents"]

    download = page.get(f"/applications/{case_id}/documents/{kinds['id_card']['id']}")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81%20%E6%AD%A3%E9%9D%A2.pdf" in disposition
    # Another user who may see the case may read it too.
    assert logged_in(server, "tr.dongcheng").get(download.url.path).content == PDF


def test_a_refused_file_comes_back_in_the_documents_section(server: Server, api: Api) -> None:
    case_id = api.submit()["id"]
    page = logged_in(server, "cw.lizhuang")
    page.get("/")
    response = page.post(
        f"/applications/{case_id}/documents",
        {"kind": "id_card"},
        files={"file": ("notes.txt", b"plain text", "text/plain")},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert 'id="upload-error"' in response.text
    assert "只接受 PDF、JPEG 和 PNG 格式的文件。" in response.text
    assert api.case(case_id)["documents"] == []


def test_documents_are_not_shown_outside_the_case_or_the_jurisdiction(
    server: Server, api: Api, make_user: MakeUser
) -> None:
    case_id = api.submit()["id"]
    other_id = api.submit()["id"]
    assert api.attach(case_id, "id_card").status_code == 201
    document_id = api.case(case_id)["documents"][0]["id"]
    path = f"/applications/{case_id}/documents/{document_id}"

    elsewhere = logged_in(server, make_user(["caseworker"], "130123200201"))  # 河口村
    assert elsewhere.get(path).status_code == 404
    page = logged_in(server, "cw.lizhuang")
    assert page.get(path).status_code == 200
    assert page.get(f"/applications/{other_id}/documents/{document_id}").status_code == 404


def test_posts_without_the_csrf_token_are_refused(server: Server, api: Api) -> None:
    page = _new_page(server)
    before = _newest_case(api)
    assert page.post("/applications/new", _form(), csrf=False).status_code == 403
    assert _newest_case(api) == before
    case_id = api.submit()["id"]
    response = page.post(
        f"/applications/{case_id}/documents",
        {"kind": "id_card"},
        csrf=False,
        files={"file": ("id.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 403
    assert api.case(case_id)["documents"] == []
    edit = page.post(
        f"/applications/{case_id}/edit",
        {"applicant_name": "改名", "relation": "parent", "event_kind": "child_death"},
        csrf=False,
    )
    assert edit.status_code == 403
    assert api.case(case_id)["applicant"]["name"] == "王秀英"


def test_a_returned_case_is_corrected_through_the_form(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "return", as_="vh.lizhuang", comment="银行卡号有误")
    before = api.case(case_id)
    assert before["status"] == "returned"

    page = logged_in(server, "cw.lizhuang")
    form = page.get(f"/applications/{case_id}/edit")
    assert form.status_code == 200
    assert before["household"]["bank_card"] in form.text  # masked, as a hint
    assert 'name="bank_card" type="text" value=""' in form.text

    card = bank_card()
    wrong = page.post(
        f"/applications/{case_id}/edit",
        {
            "applicant_name": "王秀兰",
            "relation": before["relation"],
            "bank_card": card[:-1] + str((int(card[-1]) + 1) % 10),  # fails the Luhn check
            "event_kind": "child_death",
            "event_date": before["event"]["date"],
        },
    )
    assert wrong.status_code == 422
    assert _field_error(wrong.text, "bank_card") == "该银行卡号有误，请核对。"
    assert api.case(case_id)["applicant"]["name"] == before["applicant"]["name"]

    new_card = bank_card()
    response = page.post(
        f"/applications/{case_id}/edit",
        {
            "applicant_name": "王秀兰",  # renamed; the ID number left empty is kept
            "relation": before["relation"],
            "bank_card": new_card,
            "event_kind": "child_death",
            "event_date": before["event"]["date"],
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/applications/{case_id}"
    after = api.case(case_id)
    assert after["applicant"]["name"] == "王秀兰"
    assert after["applicant"]["id_number"] == before["applicant"]["id_number"]
    assert after["household"]["bank_card"].endswith(new_card[-4:])
    corrected = [e for e in api.events(case_id) if e["action"] == "application_corrected"]
    assert len(corrected) == 1
    assert set(corrected[0]["after"]) == {"applicant_name", "bank_card"}


def test_only_caseworkers_get_the_correction_form(server: Server, api: Api) -> None:
    case_id = api.submit()["id"]
    assert logged_in(server, "vh.lizhuang").get(f"/applications/{case_id}/edit").status_code == 404
