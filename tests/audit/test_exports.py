"""Exports of the trail: CSV (UTF-8 with BOM) and xlsx, the same filters as the list, more
events than one page, no full personal number, no formula, and each export audited."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from service.audit.exports import FIELDS
from tests.audit.test_chain import outside_hash
from tests.audit.trail import append_events, ids_where, read_all, synthetic_events
from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.factories import application, id_number
from tests.fresh_county import County, approve, make_county, submit_ready

FORMULA = '=HYPERLINK("http://example.invalid","点我")'
SYNTHETIC = 2500  # more than two export pages of 1000
# The header row: the chain's fields, ``at`` said to be UTC, and China time last.
HEADER = (
    *("at (UTC)" if name == "at" else name for name in FIELDS),
    "时间 (北京时间 UTC+8)",
)
NAMES = (*FIELDS, "china_time")


@dataclass
class Scene:
    county: County
    case_id: int
    secrets: tuple[str, ...]  # full numbers that must appear nowhere


@pytest.fixture
def scene(api: Api, backend: Backend, make_user: MakeUser) -> Scene:
    county = make_county(backend, make_user)
    body = application(applicant_id=id_number(), spouse_id=id_number())
    phone = "139" + "".join(random.choice("0123456789") for _ in range(8))
    body["household"]["phone"] = phone  # type: ignore[index]
    case, task_id = submit_ready(api, county, body=body)
    applicant = body["applicant"]["id_number"]  # type: ignore[index]
    approve(api, task_id, as_=county["cw"], comment=f"{FORMULA} 核对身份证 {applicant}")
    villages = [county.village(n) for n in (1, 2, 3)]
    append_events(backend.engine, county.code, synthetic_events(county.code, villages, SYNTHETIC))
    secrets = (
        applicant,
        body["spouse"]["id_number"],  # type: ignore[index]
        body["household"]["bank_card"],  # type: ignore[index]
        phone,
    )
    return Scene(county, case["id"], secrets)


def csv_export(api: Api, user: str, **params: object) -> list[dict[str, str]]:
    response = api.get("/audit/events.csv", as_=user, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert "content-length" not in response.headers  # streamed in chunks
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == HEADER
    return [dict(zip(NAMES, row, strict=True)) for row in rows[1:]]


def xlsx_export(api: Api, user: str, **params: object) -> list[dict[str, object]]:
    response = api.get("/audit/events.xlsx", as_=user, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = list(sheet.iter_rows())
    assert tuple(cell.value for cell in rows[0]) == HEADER
    assert not [cell for row in rows for cell in row if cell.data_type == "f"]
    return [{name: cell.value for name, cell in zip(NAMES, row, strict=True)} for row in rows[1:]]


def test_csv_export_is_excel_ready_complete_and_masked(
    api: Api, backend: Backend, scene: Scene
) -> None:
    county = scene.county
    rows = csv_export(api, county["au"])
    # The export's own event is written before the rows are read: it is the last row.
    expected = ids_where(backend, "county = :c", c=county.code)
    assert [int(row["id"]) for row in rows] == expected
    assert len(rows) > SYNTHETIC
    assert rows[-1]["action"] == "audit_exported"
    text = json.dumps(rows, ensure_ascii=False)
    for secret in scene.secrets:
        assert secret not in text
    [commented] = [row for row in rows if row["comment"].startswith("'=")]
    assert commented["comment"].startswith("'" + FORMULA)
    # Rows recompute their hash as an outside auditor would (text cells are the chain's).
    for row in [row for row in rows if not row["comment"].startswith("'")][:50]:
        event = {name: row[name] or None for name in FIELDS}
        for name in ("seq", "application_id", "task_id"):
            event[name] = int(row[name]) if row[name] else None
        for name in ("before", "after"):
            event[name] = json.loads(row[name]) if row[name] else None
        assert outside_hash(event) == row["hash"], row["id"]
        # The same instant in China time (UTC+8), as the office reads it.
        at = datetime.fromisoformat(row["at"].replace("Z", "+00:00"))
        assert row["china_time"] == (at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def test_xlsx_export_opens_in_openpyxl_and_holds_no_formula(
    api: Api, backend: Backend, scene: Scene
) -> None:
    county = scene.county
    rows = xlsx_export(api, county["au"])
    assert [row["id"] for row in rows] == ids_where(backend, "county = :c", c=county.code)
    assert rows[-1]["action"] == "audit_exported"
    [commented] = [row for row in rows if str(row["comment"] or "").startswith("=")]
    assert str(commented["comment"]).startswith(FORMULA)  # a string cell, shown as typed
    text = json.dumps(rows, ensure_ascii=False, default=str)
    for secret in scene.secrets:
        assert secret not in text


def test_exports_take_the_filters_of_the_list(api: Api, backend: Backend, scene: Scene) -> None:
    county = scene.county
    for params in (
        {"region": county.township},  # more than one page
        {"action": "document_added", "role": "caseworker", "region": county.village(3)},
    ):
        listed = [e["id"] for e in read_all(api, as_=county["au"], **params, limit=1000)]
        assert listed
        assert [int(row["id"]) for row in csv_export(api, county["au"], **params)] == listed
        assert [row["id"] for row in xlsx_export(api, county["au"], **params)] == listed
    assert len(read_all(api, as_=county["au"], region=county.township)) > 1000
    case_rows = csv_export(api, county["au"], application_id=scene.case_id)
    assert [int(row["id"]) for row in case_rows] == ids_where(
        backend, "application_id = :a", a=scene.case_id
    )


def test_each_export_is_an_audit_event_with_its_filter(api: Api, scene: Scene) -> None:
    county = scene.county
    csv_export(api, county["au"], action="document_added", since="2026-01-01T00:00:00Z")
    xlsx_export(api, county["admin"], application_id=scene.case_id)
    events = read_all(api, as_=county["au"], action="audit_exported")
    assert [(e["actor"], e["role"], e["after"]) for e in events] == [
        (
            county["au"],
            "auditor",
            {
                "format": "csv",
                "filter": {"action": "document_added", "since": "2026-01-01T00:00:00+00:00"},
            },
        ),
        (county["admin"], "admin", {"format": "xlsx", "filter": {"application_id": scene.case_id}}),
    ]
    assert events[1]["application_id"] is None  # the filter names the case


def test_another_countys_auditor_exports_none_of_it(api: Api, scene: Scene) -> None:
    county = scene.county
    assert csv_export(api, "au.county", region=county.code) == []
    assert xlsx_export(api, "au.county", application_id=scene.case_id) == []
    assert county.code not in {
        row["county"] for row in csv_export(api, "au.county", action="document_added")
    }


def test_exports_are_refused_to_other_roles_without_a_file(api: Api, scene: Scene) -> None:
    for path in ("/audit/events.csv", "/audit/events.xlsx"):
        assert_problem(api.get(path, as_=scene.county["ca"]), 403, "forbidden")
        assert_problem(api.get(path, as_=scene.county["au"], params={"region": "12"}), 422)
    assert read_all(api, as_=scene.county["au"], action="audit_exported") == []
