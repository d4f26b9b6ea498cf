"""No input can break a page for others (issue 18, part 2), on both databases.

Free-form fields are bounded at the edge (422, nothing stored), names and free text refuse
control characters and unpaired surrogates, and what is already stored (a row written before
the bounds, or by other means) never makes a list, a case, a console page or a file fail.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import openpyxl
import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.factories import application, id_number
from tests.fresh_county import County, advance, approved_case, make_county, submit_ready
from tests.payouts.helpers import make_batch
from tests.web.pages import logged_in

RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _nested(depth: int, leaf: object = "x") -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def _deep_json(depth: int, leaf: str = '"x"') -> str:
    """JSON nested ``depth`` levels, as text (Python's encoder stops at about 1,000)."""
    return '{"a":' * depth + leaf + "}" * depth


def _post_raw(api: Api, path: str, body: str) -> Any:
    headers = {"Content-Type": "application/json"}
    return api.post(path, as_="cw.lizhuang", content=body.encode(), headers=headers)


def _errors(response: Any) -> list[dict]:
    return assert_problem(response, 422, "invalid-input")["errors"]


def _stored(backend: Backend, applicant_id: str) -> int:
    with backend.engine.connect() as db:
        return db.execute(
            sa.text("SELECT count(*) FROM application WHERE applicant_id_number = :id"),
            {"id": applicant_id},
        ).scalar_one()


def test_extra_fields_nested_too_deep_are_refused_and_nothing_is_stored(api: Api) -> None:
    # 5,000 levels are more than the JSON parser takes: the body is refused as unreadable.
    for depth, code in ((5, "json-too-deep"), (500, "json-too-deep"), (5000, "body-invalid")):
        body = application()
        raw = json.dumps(body, ensure_ascii=False)[:-1] + ', "notes": ' + _deep_json(depth) + "}"
        [error] = _errors(_post_raw(api, "/applications", raw))
        assert error["code"] == code, error
        if code == "json-too-deep":
            assert error["params"] == {"path": "notes", "max_depth": 4}
        assert _stored(api.server.backend, body["applicant"]["id_number"]) == 0  # type: ignore[index]
    body = application()
    body["household"]["notes"] = _nested(4)  # type: ignore[index]
    assert api.post("/applications", as_="cw.lizhuang", json=body).status_code == 201


def test_extra_fields_are_bounded_in_keys_strings_and_numbers(api: Api) -> None:
    cases = [
        ({"notes": {str(n): n for n in range(51)}}, "json-too-many-keys"),
        ({f"f{n}": n for n in range(51)}, "json-too-many-keys"),
        ({"notes": "长" * 2001}, "json-string-too-long"),
        ({"notes": {"a\u0000b": 1}}, "json-key-invalid"),
        ({"notes": "\u001b[31m"}, "text-control-character"),
    ]
    for extra, code in cases:
        body = {**application(), **extra}
        errors = _errors(api.post("/applications", as_="cw.lizhuang", json=body))
        assert [e["code"] for e in errors] == [code], errors
    # NaN, Infinity and a lone surrogate arrive only as raw JSON.
    for raw, code in [
        ('"notes": NaN', "json-number-invalid"),
        ('"notes": [Infinity]', "json-number-invalid"),
        ('"notes": "\\ud800"', "text-unpaired-surrogate"),
    ]:
        body = json.dumps(application(), ensure_ascii=False)[:-1] + ", " + raw + "}"
        response = _post_raw(api, "/applications", body)
        assert [e["code"] for e in _errors(response)] == [code], response.text


def test_names_and_free_text_refuse_control_characters(api: Api) -> None:
    for name, code in [
        ("王\u0000秀英", "text-control-character"),
        ("王\n秀英", "text-control-character"),
        ("王\u007f", "text-control-character"),
    ]:
        body = application()
        body["applicant"]["name"] = name  # type: ignore[index]
        [error] = _errors(api.post("/applications", as_="cw.lizhuang", json=body))
        assert (error["field"], error["code"]) == ("applicant.name", code)
    raw = json.dumps(application(spouse_id=id_number()), ensure_ascii=False)
    raw = raw.replace('"spouse": {"name": "李建国"', '"spouse": {"name": "李\\udc00"')
    [error] = _errors(_post_raw(api, "/applications", raw))
    # pydantic refuses a lone surrogate in a typed string before our check sees it.
    assert error["field"] == "spouse.name"
    assert error["code"] in ("string_unicode", "text-unpaired-surrogate")

    case = api.submit()
    task = api.task_for(case["id"], as_="cw.lizhuang")
    response = api.decide(task["id"], "return", as_="cw.lizhuang", comment="缺\u0008材料")
    assert _errors(response)[0]["code"] == "text-control-character"
    response = api.post(
        f"/applications/{case['id']}/withdraw", as_="cw.lizhuang", json={"reason": "\u0000"}
    )
    assert _errors(response)[0]["code"] == "text-control-character"
    # Lines of a comment are kept (a browser sends CR LF).
    response = api.post(
        f"/applications/{case['id']}/withdraw",
        as_="cw.lizhuang",
        json={"reason": "户主申请撤回。\r\n\t已另行安置。"},
    )
    assert response.status_code == 200, response.text
    [event] = [e for e in api.events(case["id"]) if e["action"] == "application_withdrawn"]
    assert event["comment"] == "户主申请撤回。\n\t已另行安置。"


def _set_details(backend: Backend, case_id: int, details: str) -> None:
    with backend.engine.begin() as db:
        db.execute(
            sa.text("UPDATE application SET details = :details WHERE id = :id"),
            {"details": details, "id": case_id},
        )


def test_already_stored_deep_details_break_no_page(api: Api) -> None:
    """Rows written before the bounds: 500 levels (orjson reads them), 3,000 levels (past its
    limit): the case list, the case, the console's case page and inbox still answer."""
    backend = api.server.backend
    deep = api.submit()
    deeper = api.submit()
    _set_details(
        backend, deep["id"], json.dumps({"notes": _nested(500, "6228 4829 1417 7763 174")})
    )
    _set_details(backend, deeper["id"], '{"notes": ' + _deep_json(3000) + "}")

    listed = api.get("/applications", as_="cw.lizhuang", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    by_id = {item["id"]: item for item in listed.json()["items"]}
    assert json.dumps(by_id[deep["id"]]["details"]).count("{") == 8  # shown to a depth
    assert "…" in json.dumps(by_id[deep["id"]]["details"], ensure_ascii=False)
    assert by_id[deeper["id"]]["details"] == {"unreadable": "…"}
    for case in (deep, deeper):
        assert api.get(f"/applications/{case['id']}", as_="vh.lizhuang").status_code == 200
    county_list = api.get("/applications", as_="ca.county", params={"limit": 200})
    assert county_list.status_code == 200, county_list.text

    page = logged_in(api.server, "cw.lizhuang")
    for path in (f"/applications/{deep['id']}", f"/applications/{deeper['id']}", "/"):
        response = page.get(path)
        assert response.status_code == 200, (path, response.text[:500])


def _set_name(backend: Backend, case_id: int, name: str) -> None:
    with backend.engine.begin() as db:
        db.execute(
            sa.text("UPDATE application SET applicant_name = :name WHERE id = :id"),
            {"name": name, "id": case_id},
        )


def test_exports_never_fail_on_a_stored_name_and_carry_no_control_byte(
    api: Api, make_user: MakeUser
) -> None:
    """A name stored with control characters (before names refused them): the bank file (CSV
    and xlsx), the township roster and the audit export answer, without a raw control byte."""
    county: County = make_county(api.server.backend, make_user)
    hostile = "王\u001b[2J秀\u0007英\n"
    case = approved_case(api, county)
    _set_name(api.server.backend, case["id"], hostile)
    sent_up, task = submit_ready(api, county)
    advance(api, county, task, levels=3)
    _set_name(api.server.backend, sent_up["id"], hostile)

    batch = make_batch(api, county)
    for file_format in ("csv", "xlsx"):
        response = api.get(
            f"/payouts/batches/{batch['id']}/bank-file",
            as_=county["fo"],
            params={"format": file_format},
        )
        assert response.status_code == 200, response.text
        content = response.content
        if file_format == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(content))
            names = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
            assert "王\ufffd[2J秀\ufffd英 " in names
        else:
            assert not RAW_CONTROL.search(content)
            assert "王\ufffd[2J秀\ufffd英 ".encode() in content

    roster = api.get(
        "/rosters/township.xlsx",
        as_=county["tr"],
        params={
            "township": county.township,
            "program": "emergency_consolation",
            "year": date.today().year,
        },
    )
    assert roster.status_code == 200, roster.text
    for path in ("/audit/events.csv", "/audit/events.xlsx"):
        exported = api.get(path, as_=county["au"], params={"application_id": case["id"]})
        assert exported.status_code == 200, exported.text
        if path.endswith(".csv"):
            assert not RAW_CONTROL.search(exported.content)


def test_an_audit_filter_with_control_characters_is_refused(api: Api) -> None:
    """An export records its filter in the trail: the filter is a plain line."""
    for path in ("/audit/events", "/audit/events.csv"):
        response = api.get(path, as_="au.county", params={"actor": "cw\u001b[1m"})
        [error] = _errors(response)
        assert (error["field"], error["code"]) == ("actor", "text-control-character")
