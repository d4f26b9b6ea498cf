"""Steps shared by the bank batch tests: files parsed as the bank and Excel would read them."""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl
import sqlalchemy as sa

from tests.conftest import Api, Backend
from tests.fresh_county import County

BANK_HEADER = ["姓名", "身份证号", "银行卡号", "金额(元)", "业务参考号"]


def make_batch(api: Api, county: County, **body: object) -> dict:
    response = api.post("/payouts/batches", as_=county["fo"], json=body)
    assert response.status_code == 201, response.text
    return response.json()


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def bank_file(api: Api, county: County, batch_id: int, file_format: str) -> list[list]:
    response = api.get(
        f"/payouts/batches/{batch_id}/bank-file", as_=county["fo"], params={"format": file_format}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert f"B{batch_id:06d}.{file_format}" in response.headers["content-disposition"]
    return csv_rows(response.content) if file_format == "csv" else xlsx_rows(response.content)


def post_results(api: Api, county: County, batch_id: int, lines: list[dict]) -> httpx.Response:
    path = f"/payouts/batches/{batch_id}/results"
    return api.post(path, as_=county["fo"], json={"lines": lines})


def post_result_file(api: Api, county: County, batch_id: int, rows: list[dict]) -> httpx.Response:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=["reference", "status", "bank_reference", "reason", "amount"]
    )
    writer.writeheader()
    writer.writerows(rows)
    content = out.getvalue().encode("utf-8-sig")
    return api.post(
        f"/payouts/batches/{batch_id}/results",
        as_=county["fo"],
        files={"file": ("results.csv", content, "text/csv")},
    )


def snapshot(backend: Backend, county: County) -> dict[str, object]:
    """What a refused request must leave as it was: lines, payouts, cases and the trail."""
    like = {"village": county.code + "%", "county": county.code}
    with backend.engine.connect() as connection:

        def rows(sql: str) -> list[tuple]:
            return [tuple(row) for row in connection.execute(sa.text(sql), like)]

        return {
            "lines": rows(
                "SELECT l.id, l.status, l.bank_reference, l.reason FROM payout_batch_line l"
                " JOIN payout_batch b ON b.id = l.batch_id WHERE b.county_code = :county"
                " ORDER BY l.id"
            ),
            "batches": rows(
                "SELECT id, status FROM payout_batch WHERE county_code = :county ORDER BY id"
            ),
            "payouts": rows(
                "SELECT p.id, p.status, p.bank_reference, p.last_failure FROM payout p"
                " JOIN application a ON a.id = p.application_id"
                " WHERE a.village_code LIKE :village ORDER BY p.id"
            ),
            "cases": rows(
                "SELECT id, status, version FROM application WHERE village_code LIKE :village"
                " ORDER BY id"
            ),
            # Refusals of logged-in users are audit events by design (action_refused).
            "events": rows(
                "SELECT count(*) FROM audit_event WHERE county = :county"
                " AND action <> 'action_refused'"
            ),
        }
