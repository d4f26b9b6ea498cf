"""平安保障: the list an approved batch sends the insurer (full resident IDs, audited) and the
insurer's answer uploaded as a CSV file recording each household's policy number."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser
from tests.fresh_county import make_county
from tests.insurance.helpers import approved, enrol, made, refused
from tests.payouts.helpers import csv_rows


def _upload(api: Api, user: str, batch_id: int, content: bytes):  # type: ignore[no-untyped-def]
    return api.post(
        f"/insurance/batches/{batch_id}/policy-file",
        as_=user,
        files={"file": ("policies.csv", content, "text/csv")},
    )


def test_the_insurer_gets_the_approved_list_and_its_answer_records_the_policies(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    first, second = enrol(api, county), enrol(api, county, village=2)
    batch = approved(api, county)
    response = api.get(
        f"/insurance/batches/{batch['id']}/list", as_=county["fo"], params={"format": "csv"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    rows = csv_rows(response.content)
    assert rows[0][:4] == ["序号", "户编号", "户主姓名", "身份证号"]
    with backend.engine.connect() as connection:
        full = dict(
            connection.execute(
                sa.text("SELECT id, applicant_id_number FROM application WHERE id IN (:a, :b)"),
                {"a": first["id"], "b": second["id"]},
            ).all()
        )
    listed = {int(row[1]): row for row in rows[1:] if row[1].isdigit()}
    assert set(listed) == {first["id"], second["id"]}
    assert {k: row[3] for k, row in listed.items()} == full  # in full: the insurer needs it
    assert {row[5] for row in listed.values()} == {"100.00"}
    assert rows[-1][0] == "合计"
    xlsx = api.get(f"/insurance/batches/{batch['id']}/list", as_=county["fo"])
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.active.max_row >= 3
    trail = api.get(
        "/audit/events", as_=county["au"], params={"action": "insurance_list_downloaded"}
    )
    assert trail.status_code == 200, trail.text

    # The insurer fills in the policy numbers (one household only, so far) and sends it back.
    answer = [rows[0]] + [
        [*row[:7], "PAB-FILE-0001" if int(row[1]) == first["id"] else ""]
        for row in rows[1:]
        if row[1].isdigit()
    ]
    content = "\n".join(",".join(str(cell) for cell in row) for row in answer)
    uploaded = _upload(api, county["fo"], batch["id"], content.encode("utf-8-sig"))
    assert uploaded.status_code == 200, uploaded.text
    assert (uploaded.json()["recorded"], uploaded.json()["unchanged"]) == (1, 0)
    shown = api.get(f"/insurance/batches/{batch['id']}", as_=county["au"]).json()
    numbers = {p["application_id"]: p["policy_no"] for p in shown["policies"]}
    assert numbers == {first["id"]: "PAB-FILE-0001", second["id"]: None}


def test_a_list_waits_for_approval_and_a_bad_answer_is_refused(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    case = enrol(api, county)
    batch = made(api, county)
    early = api.get(f"/insurance/batches/{batch['id']}/list", as_=county["fo"])
    refused(early, 409, "insurance-batch-not-approved")
    refused(
        api.get(f"/insurance/batches/{batch['id']}/list", as_=county["ca"]),
        403,
        "case-role-required",
    )
    assert api.post(
        f"/insurance/batches/{batch['id']}/decision", as_=county["ca"], json={"decision": "approve"}
    ).is_success
    fo = county["fo"]
    refused(_upload(api, fo, batch["id"], b"a,b\n1,2\n"), 422, "result-file-header")
    refused(_upload(api, fo, batch["id"], "户编号,保单号\n".encode()), 422, "result-file-empty")
    refused(_upload(api, fo, batch["id"], b"\xff\xfe\x00"), 422, "result-file-encoding")
    bad = f"户编号,保单号\n{case['id']},保单一\n".encode()
    refused(_upload(api, fo, batch["id"], bad), 422, "result-file-line")
    shown = api.get(f"/insurance/batches/{batch['id']}", as_=county["au"]).json()
    assert [p["policy_no"] for p in shown["policies"]] == [None]
