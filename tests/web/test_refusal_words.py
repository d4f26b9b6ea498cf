"""Every refusal the console shows is said in the page's language from its code and params.

The API keeps its English ``detail``; a Chinese page says the refusal in Chinese (a submission's
field errors, a 404, a missing document, a refused upload, a locked login, a refused flow),
never the English sentence or a pydantic pattern; an English page says it in English. The
catalogue (service/web/reasons.py) covers every registered code with the code's own params.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from service.http.codes import CODES
from service.web import i18n, reasons
from tests.conftest import DEMO_PASSWORD, Api, MakeUser, Server
from tests.factories import PDF, application, id_number
from tests.flows.helpers import CORPUS
from tests.web import pages
from tests.web.pages import Page, logged_in
from tests.web.test_submit_pages import _field_error, _form

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
LOGIN_MAX_FAILURES = 5  # settings.login_max_failures
CASEWORKER_VILLAGE = "130123100201"


# --- the catalogue --------------------------------------------------------------------------


def test_every_registered_code_has_words_with_its_own_params_and_a_chinese_translation() -> None:
    chinese = i18n.translations("zh_CN")
    for name, code in CODES.items():
        assert name in reasons.MESSAGES, f"{name} has no words in web/reasons.py"
        message = reasons.MESSAGES[name]
        used = set(PLACEHOLDER.findall(message))
        assert used <= set(code.params), f"{name} uses {used - set(code.params)}"
        translated = chinese.gettext(message)
        assert translated != message, f"{name}: {message!r} has no Chinese"
        assert set(PLACEHOLDER.findall(translated)) == used, name


def test_params_are_said_as_people_read_them() -> None:
    missing = {"missing": ["application_form", "hukou"]}
    assert (
        reasons.say("documents-missing", missing, "zh_CN") == "请先上传所需材料：申报表、户口簿。"
    )
    assert reasons.say("documents-missing", missing, "en") == (
        "Attach the required documents first: Application form, Household register."
    )
    assert reasons.say("login-throttled", {"retry_after": 898}, "zh_CN") == (
        "登录失败次数过多，请 15 分钟后再试。"
    )
    assert reasons.say("login-slowed", {"retry_after": 4}, "en").startswith(
        "Many failed logins of this account: wait 4 seconds"
    )
    assert "¥" in reasons.say("recovery-amount-exceeds-balance", {"balance": 12000}, "zh_CN")
    # A flow's element kinds are said by what people call them, never as BPMN tag names.
    unsupported = {"element": "notify_bank", "kind": "serviceTask"}
    said = reasons.say("flow-element-unsupported", unsupported, "zh_CN")
    assert "服务任务" in said, said
    assert "serviceTask" not in said, said
    missing_id = {"element": "Process_1", "kind": "userTask", "line": 12}
    assert "用户任务" in reasons.say("flow-id-missing", missing_id, "zh_CN")
    assert "(User task, line 12)" in reasons.say("flow-id-missing", missing_id, "en")


def test_odd_params_or_unknown_codes_never_break_the_words() -> None:
    # Missing params, wrong types, an unregistered code: a general message of the status.
    assert reasons.say("documents-missing", {}, "zh_CN") == reasons.say(
        "no-such-code", None, "zh_CN", status=409
    )
    assert reasons.say("file-too-large", {"limit": None}, "en")
    assert reasons.say("no-such-code", {"x": 1}, "en", status=404) == (
        "Not found, or outside your jurisdiction."
    )
    # A pattern refused on the phone says what a phone number looks like, not the pattern.
    entry = {"type": "string_pattern_mismatch", "loc": ("household", "phone"), "ctx": {}}
    assert "11" in reasons.say_field(entry, "en")
    assert "^1" not in reasons.say_field(entry, "zh_CN")


# --- pages ----------------------------------------------------------------------------------


def _new_page(server: Server, *, english: bool = False) -> Page:
    page = logged_in(server, "cw.lizhuang")
    if english:
        pages.english(page)
    assert page.get("/applications/new").status_code == 200
    return page


def test_a_chinese_submission_form_says_each_field_error_in_chinese(
    server: Server, api: Api
) -> None:
    page = _new_page(server)
    good = id_number()
    wrong_digit = good[:-1] + ("0" if good[-1] != "0" else "1")
    html = page.post("/applications/new", _form(applicant_id_number=wrong_digit)).text
    said = _field_error(html, "applicant_id_number")
    assert "校验码" in said
    assert "GB 11643" not in html
    assert "check digit" not in html

    card = _form()["bank_card"]
    assert isinstance(card, str)
    wrong_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    html = page.post("/applications/new", _form(bank_card=wrong_card)).text
    assert "银行卡号有误" in _field_error(html, "bank_card")
    assert "Luhn" not in html

    response = page.post("/applications/new", _form(phone="12345"))
    assert response.status_code == 422
    assert "手机号码为以 1 开头的 11 位数字" in _field_error(response.text, "phone")
    assert "String should match" not in response.text
    assert "^1[3-9]" not in response.text

    future = (date.today() + timedelta(days=3)).isoformat()
    html = page.post("/applications/new", _form(event_date=future)).text
    assert "事由发生日期不能晚于今天" in _field_error(html, "event_date")
    assert "in the future" not in html


def test_a_duplicate_household_is_named_with_its_case_and_program_in_chinese(
    server: Server, api: Api
) -> None:
    applicant = id_number()
    first = api.submit(application(applicant_id=applicant))["id"]
    page = _new_page(server)
    response = page.post("/applications/new", _form(applicant_id_number=applicant))
    assert response.status_code == 409
    assert f"已有第 {first} 号案件" in response.text
    assert "emergency_consolation" not in _form_error(response.text)
    assert "already has case" not in response.text


def _form_error(html: str) -> str:
    match = re.search(r'class="form-errors"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def test_an_english_submission_form_says_the_errors_in_english(server: Server) -> None:
    page = _new_page(server, english=True)
    html = page.post("/applications/new", _form(phone="12345")).text
    assert "A mobile number has 11 digits" in _field_error(html, "phone")
    assert "^1[3-9]" not in html
    future = (date.today() + timedelta(days=3)).isoformat()
    html = page.post("/applications/new", _form(event_date=future)).text
    assert _field_error(html, "event_date") == "The event date cannot be in the future."


def test_a_missing_case_is_not_found_in_chinese_and_in_english(server: Server) -> None:
    page = logged_in(server, "ca.county")
    response = page.get("/applications/999999999")
    assert response.status_code == 404
    assert "找不到第 999999999 号案件" in response.text
    assert "no case" not in response.text
    assert "Not Found" not in response.text
    response = page.get("/no-such-page")
    assert response.status_code == 404
    assert "找不到该页面" in response.text
    assert "Not Found" not in response.text

    pages.english(page)
    response = page.get("/applications/999999999")
    assert "Case 999999999 was not found, or is outside your jurisdiction." in response.text


def test_a_refused_decision_names_the_missing_documents_in_chinese(
    server: Server, api: Api
) -> None:
    case_id = api.submit()["id"]  # no documents attached: the village cannot sign yet
    page = logged_in(server, "cw.lizhuang")
    html = page.get(f"/applications/{case_id}").text
    task_id = re.search(r'name="task_id" value="(\d+)"', html)
    assert task_id
    page.post(
        f"/applications/{case_id}/decision", {"task_id": task_id.group(1), "decision": "approve"}
    )
    said = pages.flash(page.get(f"/applications/{case_id}").text)
    assert said.startswith("请先上传所需材料：")
    assert "申报表" in said
    assert "、" in said
    assert "application_form" not in said
    assert "attach the required" not in said


def test_a_wrong_file_type_is_refused_in_the_pages_language(server: Server, api: Api) -> None:
    case_id = api.submit()["id"]
    page = logged_in(server, "cw.lizhuang")
    page.get(f"/applications/{case_id}")
    path = f"/applications/{case_id}/documents"
    files = {"file": ("notes.txt", b"plain text, not a document", "text/plain")}
    response = page.post(path, {"kind": "application_form"}, files=files)
    assert response.status_code == 303
    said = pages.flash(page.get(f"/applications/{case_id}").text)
    assert said == "只接受 PDF、JPEG 和 PNG 格式的文件。"

    # As htmx sends it: the documents section says it in place.
    response = page.post(
        path, {"kind": "application_form"}, files=files, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "只接受 PDF、JPEG 和 PNG 格式的文件。" in response.text
    assert "only PDF" not in response.text

    pages.english(page)
    response = page.post(
        path, {"kind": "application_form"}, files=files, headers={"HX-Request": "true"}
    )
    assert "Only PDF, JPEG and PNG files are accepted." in response.text
    ok = page.post(path, {"kind": "application_form"}, files={"file": ("a.pdf", PDF, "x")})
    assert ok.status_code == 303


def test_a_locked_login_says_when_to_try_again_in_minutes(
    server: Server, make_user: MakeUser
) -> None:
    for language in ("zh_CN", "en"):
        username = make_user(["caseworker"], CASEWORKER_VILLAGE)
        page = Page(server)
        page.get("/login")
        if language == "en":
            page.post("/language", {"language": "en", "next": "/login"})
            page.get("/login")
        for _ in range(LOGIN_MAX_FAILURES):
            page.post("/login", {"username": username, "password": "wrong-guess"})
        response = page.post("/login", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 429
        if language == "zh_CN":
            assert re.search(r"登录失败次数过多，请 \d+ 分钟后再试。", response.text)
            assert "seconds" not in response.text
            assert "秒" not in response.text
        else:
            assert re.search(r"Too many failed logins; try again in \d+ minutes?\.", response.text)


def test_a_refused_flow_upload_is_framed_in_chinese(server: Server) -> None:
    page = logged_in(server, "admin")
    page.get("/flows")
    # A refusal with a code of its own: in Chinese.
    big = b"<bpmn/>" + b" " * (2 * 1024 * 1024)  # past the limits of a flow file and a form
    files = [("bpmn", ("big.bpmn", big, "application/octet-stream"))]
    response = page.post("/flows/upload", {"note": ""}, files=files)
    assert response.status_code == 413
    assert re.search(r"超过 \d+(\.\d+)? [KM]B。", response.text)
    assert "exceeds" not in response.text
    assert "limited to" not in response.text

    # The reasons the flow checker lists element by element are said in Chinese too, from
    # each problem's code and params: no English sentence, no note that they are English.
    malformed = (CORPUS / "malformed.bpmn").read_bytes()
    files = [("bpmn", ("malformed.bpmn", malformed, "application/octet-stream"))]
    response = page.post("/flows/upload", {"note": ""}, files=files)
    assert response.status_code == 422
    assert "流程未通过校验，未保存任何内容" in response.text
    assert "以下原因由流程校验程序给出，仅有英文。" not in response.text
    assert "该文件不是格式正确的 XML。" in response.text
    assert "not well-formed XML" not in response.text
    assert '<td lang="en">' not in response.text


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_an_htmx_refusal_is_said_in_the_flash(server: Server, api: Api, language: str) -> None:
    page = logged_in(server, "cw.lizhuang")
    if language == "en":
        pages.english(page)
    page.get("/")
    response = page.get("/applications/999999998", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#flash"
    expected = "找不到第 999999998 号案件" if language == "zh_CN" else "Case 999999998 was not"
    assert expected in response.text
