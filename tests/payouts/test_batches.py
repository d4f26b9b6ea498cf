"""Bank batches 批量代发: pending payouts → batch → bank file → the bank's results → paid.

Each test has a county of its own, so a batch holds exactly the payouts the test made.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.factories import application
from tests.fresh_county import County, advance, approved_case, make_county, submit_ready
from tests.payouts.helpers import (
    BANK_HEADER,
    bank_file,
    make_batch,
    post_result_file,
    post_results,
    snapshot,
)
from tests.programs.test_special_assistance import special
from tests.recoveries.helpers import revoke

MASKED_ID = re.compile(r"^\d{4}\*{10}[\dX]{4}$")
EC, HR = 300000, 500000  # emergency consolation, hardship relief: fen


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def hardship() -> dict:
    return application(program="hardship_relief", kind="disaster")


def enrolled_with_yearly_payout(api: Api, county: County) -> dict:
    """A special-assistance household enrolled in the county, with this year's payout."""
    case, task_id = submit_ready(api, county, body=special())
    advance(api, county, task_id, levels=4)
    year = date.today().year
    response = api.post("/payouts/yearly", as_=county["fo"], json={"year": year})
    assert response.status_code == 200, response.text
    # The household's benefit and the pension fund's premium for its parents.
    assert response.json()["created"] == 2
    return api.case(case["id"], as_=county["au"])


def household_payout(case: dict) -> dict:
    (payout,) = [p for p in case["payouts"] if p["payee"] == "household"]
    return payout


def events(api: Api, county: County, case_id: int) -> list[dict]:
    params = {"application_id": case_id, "limit": 1000}
    response = api.get("/audit/events", as_=county["au"], params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def lines_by_case(batch: dict) -> dict[int, dict]:
    return {line["application_id"]: line for line in batch["lines"]}


def test_a_batch_goes_from_pending_to_paid_and_a_failed_line_comes_back(
    api: Api, backend: Backend, county: County, record_property: Callable[[str, object], None]
) -> None:
    fo, au = county["fo"], county["au"]
    ec = [approved_case(api, county, village=v) for v in (1, 1, 3)]
    hr = approved_case(api, county, body=hardship())
    yearly = enrolled_with_yearly_payout(api, county)
    # The households' batch holds the family's benefit only: the premium waits for the fund's.
    yearly_fen = household_payout(yearly)["amount_fen"]
    cases = {case["id"]: case for case in (*ec, hr, yearly)}
    pending = api.get("/payouts", as_=fo, params={"status": "pending"}).json()["items"]
    assert {p["application_id"] for p in pending} == set(cases)

    started = time.perf_counter()
    batch = make_batch(api, county)
    made_in = time.perf_counter() - started
    total = 3 * EC + HR + yearly_fen
    assert (batch["status"], batch["line_count"], batch["total_fen"]) == ("open", 5, total)
    assert batch["total_cny"] == f"{total / 100:.2f}"
    assert batch["open_count"] == 5
    assert batch["paid_count"] == batch["failed_count"] == 0
    assert [line["reference"] for line in batch["lines"]] == [
        f"B{batch['id']:06d}-{n:04d}" for n in range(1, 6)
    ]
    assert sum(line["amount_fen"] for line in batch["lines"]) == batch["total_fen"]
    for line in batch["lines"]:  # card numbers stay masked outside the bank file
        assert "*" in line["bank_card"]
    # Everything pending is batched: a second batch has nothing to take.
    assert_problem(api.post("/payouts/batches", as_=fo, json={}), 409, "nothing-to-batch")

    # The bank file, as CSV and as xlsx: full card numbers, masked IDs, a totals row.
    with backend.engine.connect() as connection:  # full card numbers: only in the database
        full_cards = dict(
            connection.execute(
                sa.text("SELECT id, bank_card FROM application WHERE village_code LIKE :v"),
                {"v": county.code + "%"},
            ).all()
        )
    for file_format in ("csv", "xlsx"):
        rows = bank_file(api, county, batch["id"], file_format)
        header, lines, footer = rows[0], rows[1:-1], rows[-1]
        assert list(header) == BANK_HEADER
        assert len(lines) == 5
        by_reference = {line["reference"]: line for line in batch["lines"]}
        for name, id_number, card, amount, reference in lines:
            line = by_reference[reference]
            assert card == full_cards[line["application_id"]]
            assert MASKED_ID.match(id_number), id_number
            assert name == "王秀英"
            assert amount == line["amount_cny"]
        assert sum(int(round(float(row[3]) * 100)) for row in lines) == total
        assert list(footer[:2]) == ["合计", "5笔"]
        assert footer[3] == batch["total_cny"]
    downloads = [
        event
        for event in api.get(
            "/audit/events", as_=au, params={"action": "payout_bank_file_downloaded"}
        ).json()["items"]
        if event["after"]["batch_id"] == batch["id"]
    ]
    assert [(e["actor"], e["after"]["format"]) for e in downloads] == [(fo, "csv"), (fo, "xlsx")]

    # While the bank has them, nothing else settles these payouts.
    lines = lines_by_case(batch)
    task = api.task_for(ec[0]["id"], as_=fo)
    refused = api.decide(task["id"], "approve", as_=fo, data={"bank_reference": "BY-HAND"})
    assert_problem(refused, 409, "payout-in-batch")
    yearly_payout = lines[yearly["id"]]["payout_id"]
    refused = api.post(f"/payouts/{yearly_payout}/pay", as_=fo, json={"bank_reference": "X"})
    assert_problem(refused, 409, "payout-in-batch")

    # The bank answers: JSON for three lines, its result file for the other two.
    failed_case = ec[2]["id"]
    first = [
        {"reference": lines[ec[0]["id"]]["reference"], "status": "paid", "amount_fen": EC,
         "bank_reference": "RCC-0001"},
        {"reference": lines[ec[1]["id"]]["reference"], "status": "paid", "amount_fen": EC},
        {"reference": lines[failed_case]["reference"], "status": "failed", "amount_fen": EC,
         "reason": "户名与卡号不符 name does not match the card"},
    ]  # fmt: skip
    started = time.perf_counter()
    response = post_results(api, county, batch["id"], first)
    results_in = time.perf_counter() - started
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert (outcome["recorded"], outcome["unchanged"], outcome["refused"]) == (3, 0, 0)
    assert outcome["batch"]["status"] == "open"
    second = [
        {"reference": lines[hr["id"]]["reference"], "status": "paid", "amount": "5000.00",
         "bank_reference": "RCC-0004", "reason": ""},
        {"reference": lines[yearly["id"]]["reference"], "status": "paid",
         "amount": f"{yearly_fen / 100:.2f}", "bank_reference": "RCC-0005", "reason": ""},
    ]  # fmt: skip
    response = post_result_file(api, county, batch["id"], second)
    assert response.status_code == 200, response.text
    settled = response.json()["batch"]
    assert settled["status"] == "settled"
    assert settled["settled_at"]
    assert (settled["paid_count"], settled["failed_count"], settled["open_count"]) == (4, 1, 0)
    assert settled["paid_fen"] + settled["failed_fen"] == settled["total_fen"] == total

    # Paid lines completed the payout task: the one-time cases are paid, as by hand.
    for case_id, reference in (
        (ec[0]["id"], "RCC-0001"),
        (ec[1]["id"], lines[ec[1]["id"]]["reference"]),  # no bank reference: the line's
        (hr["id"], "RCC-0004"),
    ):
        detail = api.case(case_id, as_=au)
        assert detail["status"] == "paid"
        assert detail["payout"]["status"] == "paid"
        assert detail["payout"]["bank_reference"] == reference
        assert detail["tasks"] == []
        actions = [(e["actor"], e["action"]) for e in events(api, county, case_id)]
        for action in ("payout_batched", "payout_line_paid", "task_completed", "payout_paid"):
            assert (fo, action) in actions, (action, actions)
    assert household_payout(api.case(yearly["id"], as_=au))["status"] == "paid"
    # The failed line is pending again, with the bank's reason, its payout task still open.
    failed = api.case(failed_case, as_=au)
    assert failed["status"] == "approved"
    assert failed["payout"]["status"] == "pending"
    failed_payout = api.get("/payouts", as_=fo, params={"application_id": failed_case}).json()[
        "items"
    ][0]
    assert failed_payout["last_failure"].startswith("户名与卡号不符")

    # The same results again change nothing.
    before = snapshot(backend, county)
    again = post_results(api, county, batch["id"], first).json()
    assert (again["recorded"], again["unchanged"]) == (0, 3)
    assert post_result_file(api, county, batch["id"], second).json()["unchanged"] == 2
    assert snapshot(backend, county) == before

    # The failed payout goes into a new batch and is paid there.
    retry = make_batch(api, county)
    assert [line["application_id"] for line in retry["lines"]] == [failed_case]
    line = retry["lines"][0]
    done = post_results(
        api, county, retry["id"], [{"reference": line["reference"], "status": "paid",
                                    "amount_fen": EC, "bank_reference": "RCC-0006"}]
    ).json()  # fmt: skip
    assert done["batch"]["status"] == "settled"
    assert api.case(failed_case, as_=au)["status"] == "paid"
    listed = api.get("/payouts/batches", as_=fo).json()["items"]
    assert [b["id"] for b in listed] == [retry["id"], batch["id"]]
    assert api.get("/audit/verify", as_=au).json()["ok"] is True
    record_property("batch_of_5_seconds", round(made_in, 3))
    record_property("results_of_3_seconds", round(results_in, 3))


def test_amounts_that_do_not_match_change_nothing(
    api: Api, backend: Backend, county: County
) -> None:
    cases = [approved_case(api, county) for _ in range(2)]
    batch = make_batch(api, county)
    first, second = batch["lines"]
    before = snapshot(backend, county)
    wrong = [
        {"reference": first["reference"], "status": "paid", "amount_fen": EC},
        {"reference": second["reference"], "status": "paid", "amount_fen": EC - 1},
    ]
    body = assert_problem(post_results(api, county, batch["id"], wrong), 422, "invalid-input")
    assert body["errors"] == [
        {
            "field": "lines[1].amount_fen",
            "message": body["errors"][0]["message"],
            "code": "result-amount-mismatch",
            "params": {
                "reference": second["reference"],
                "amount_fen": EC - 1,
                "line_amount_fen": EC,
            },
        }
    ]
    assert body["code"] == "result-lines-mismatch"
    assert "299999" in body["errors"][0]["message"]
    unknown = [{"reference": "B999999-0001", "status": "paid", "amount_fen": EC}]
    assert_problem(post_results(api, county, batch["id"], unknown), 422, "invalid-input")
    twice = [wrong[0], wrong[0]]
    assert_problem(post_results(api, county, batch["id"], twice), 422, "invalid-input")
    no_reason = [{"reference": first["reference"], "status": "failed", "amount_fen": EC}]
    assert_problem(post_results(api, county, batch["id"], no_reason), 422, "invalid-input")
    # A result file whose amount is off by a fen is refused the same way.
    file_rows = [{"reference": first["reference"], "status": "paid", "amount": "2999.99",
                  "bank_reference": "", "reason": ""}]  # fmt: skip
    response = post_result_file(api, county, batch["id"], file_rows)
    assert_problem(response, 422, "invalid-input")
    assert snapshot(backend, county) == before
    for case in cases:
        assert api.case(case["id"], as_=county["au"])["status"] == "approved"

    # A recorded result is final: the other answer for the same line is a conflict.
    assert post_results(api, county, batch["id"], wrong[:1]).json()["recorded"] == 1
    before = snapshot(backend, county)
    flipped = [{**wrong[0], "status": "failed", "reason": "退票 returned"}]
    assert_problem(post_results(api, county, batch["id"], flipped), 409, "conflict")
    other_reference = [{**wrong[0], "bank_reference": "SOMETHING-ELSE"}]
    assert_problem(post_results(api, county, batch["id"], other_reference), 409, "conflict")
    assert snapshot(backend, county) == before


def test_a_result_file_the_service_cannot_read_is_refused_by_what_is_wrong(
    api: Api, backend: Backend, county: County
) -> None:
    """The bank's result file: not UTF-8, no header naming the columns, no line, a line that
    does not read: each a 422 with its own code (the line's number as a spreadsheet shows
    it), and nothing recorded."""
    approved_case(api, county)
    batch = make_batch(api, county)
    [line] = batch["lines"]
    path = f"/payouts/batches/{batch['id']}/results"
    before = snapshot(backend, county)

    def refused(content: bytes, code: str) -> dict:
        files = {"file": ("results.csv", content, "text/csv")}
        body = assert_problem(api.post(path, as_=county["fo"], files=files), 422)
        assert body["code"] == code, body
        return body

    refused(b"\xff\xfe\x00", "result-file-encoding")
    body = refused(b"name,card\nA,1\n", "result-file-header")
    assert "reference" in body["params"]["columns"]
    refused(b"reference,status,amount\n,,\n", "result-file-empty")
    reference = line["reference"]
    bad = f"reference,status,amount\n{reference},paid,3000\n{reference},lost,3000\n"
    body = refused(bad.encode(), "result-file-line")
    assert body["params"]["line"] == 3  # the header is line 1
    assert snapshot(backend, county) == before


def test_batches_by_program_and_period(api: Api, county: County) -> None:
    approved_case(api, county)
    hr = approved_case(api, county, body=hardship())
    by_program = make_batch(api, county, program="hardship_relief")
    assert [line["application_id"] for line in by_program["lines"]] == [hr["id"]]
    assert by_program["program"] == "hardship_relief"
    yearly = api.post("/payouts/batches", as_=county["fo"], json={"period": "2026"})
    assert_problem(yearly, 409, "nothing-to-batch")
    rest = make_batch(api, county, period="once")
    assert rest["line_count"] == 1
    assert rest["total_fen"] == EC
    bad = api.post("/payouts/batches", as_=county["fo"], json={"period": "yearly"})
    assert_problem(bad, 422, "invalid-input")


def test_roles_and_jurisdiction(api: Api, county: County, make_user: MakeUser) -> None:
    approved_case(api, county)
    batch = make_batch(api, county)
    path = f"/payouts/batches/{batch['id']}"
    line = batch["lines"][0]
    result = {"lines": [{"reference": line["reference"], "status": "paid", "amount_fen": EC}]}
    # Readers of the county see it; the demo county's finance officer does not (BOLA: 404).
    for reader in (county["fo"], county["ca"], county["au"], county["admin"]):
        assert api.get(path, as_=reader).status_code == 200, reader
        assert batch["id"] in [
            b["id"] for b in api.get("/payouts/batches", as_=reader).json()["items"]
        ]
    elsewhere = make_user(["finance_officer"], "130123")
    assert_problem(api.get(path, as_=elsewhere), 404, "not-found")
    assert_problem(api.get(path + "/bank-file", as_=elsewhere), 404, "not-found")
    assert_problem(api.post(path + "/results", as_=elsewhere, json=result), 404, "not-found")
    assert batch["id"] not in [
        b["id"] for b in api.get("/payouts/batches", as_="fo.county").json()["items"]
    ]
    # The bank file and the results are the finance officer's alone.
    for other in (county["ca"], county["au"], county["admin"]):
        assert_problem(api.get(path + "/bank-file", as_=other), 403)
        assert_problem(api.post(path + "/results", as_=other, json=result), 403)
        assert_problem(api.post("/payouts/batches", as_=other, json={}), 403)
    assert_problem(api.get("/payouts/batches", as_=county["cw"]), 403)
    assert_problem(api.get(path, as_=None), 401)
    assert_problem(api.get(path + "/bank-file", as_=county["fo"], params={"format": "pdf"}), 422)
    assert_problem(api.get("/payouts/batches/999999", as_=county["fo"]), 404, "not-found")
    # The batch is still open: nobody above changed anything.
    assert api.get(path, as_=county["fo"]).json()["open_count"] == 1


def test_a_case_revoked_while_its_payout_is_in_a_batch(
    api: Api, backend: Backend, county: County
) -> None:
    kept, stopped, late = (approved_case(api, county) for _ in range(3))
    batch = make_batch(api, county)
    lines = lines_by_case(batch)
    # Revoked before the file goes out: the download stops until that line is answered.
    assert revoke(api, stopped["id"], as_=county["ca"]).status_code == 200
    response = api.get(f"/payouts/batches/{batch['id']}/bank-file", as_=county["fo"])
    body = assert_problem(response, 409, "conflict")
    assert body["lines"] == [lines[stopped["id"]]["reference"]]
    not_sent = {"reference": lines[stopped["id"]]["reference"], "status": "failed",
                "amount_fen": EC, "reason": "撤销，未发送 revoked, not sent"}  # fmt: skip
    assert post_results(api, county, batch["id"], [not_sent]).json()["recorded"] == 1
    rows = bank_file(api, county, batch["id"], "csv")
    assert [row[4] for row in rows[1:-1]] == [
        lines[kept["id"]]["reference"],
        lines[late["id"]]["reference"],
    ]
    assert rows[-1][:2] == ["合计", "2笔"]
    assert rows[-1][3] == f"{2 * EC / 100:.2f}"
    # Revoked after the file went out, and the bank paid anyway: paid, and a recovery.
    assert revoke(api, late["id"], as_=county["ca"]).status_code == 200
    paid = [
        {"reference": lines[kept["id"]]["reference"], "status": "paid", "amount_fen": EC},
        {"reference": lines[late["id"]]["reference"], "status": "paid", "amount_fen": EC,
         "bank_reference": "RCC-LATE"},
    ]  # fmt: skip
    outcome = post_results(api, county, batch["id"], paid).json()
    assert (outcome["recorded"], outcome["batch"]["status"]) == (2, "settled")
    assert api.case(kept["id"], as_=county["au"])["status"] == "paid"
    late_case = api.case(late["id"], as_=county["au"])
    assert late_case["status"] == "revoked"
    assert late_case["payout"]["status"] == "paid"
    assert late_case["payout"]["bank_reference"] == "RCC-LATE"
    assert [r["amount_due_fen"] for r in late_case["recoveries"]] == [EC]
    assert api.case(stopped["id"], as_=county["au"])["payout"]["status"] == "cancelled"
    assert api.get("/audit/verify", as_=county["au"]).json()["ok"] is True


def test_a_line_that_cannot_be_settled_is_reported_and_stays_open(
    api: Api, county: County, make_user: MakeUser
) -> None:
    first, second = (approved_case(api, county) for _ in range(2))
    batch = make_batch(api, county)
    lines = lines_by_case(batch)
    # A colleague claimed the second case's payout task: completing it is not ours to do.
    colleague = make_user(["finance_officer"], county.code)
    task = api.task_for(second["id"], as_=colleague)
    assert api.post(f"/tasks/{task['id']}/claim", as_=colleague).status_code == 200
    results = [
        {"reference": lines[c["id"]]["reference"], "status": "paid", "amount_fen": EC}
        for c in (first, second)
    ]
    outcome = post_results(api, county, batch["id"], results).json()
    assert [line["result"] for line in outcome["lines"]] == ["recorded", "refused"]
    assert outcome["lines"][1]["problem"]["status"] == 409
    assert outcome["batch"]["open_count"] == 1
    assert outcome["batch"]["status"] == "open"
    assert api.case(second["id"], as_=county["au"])["status"] == "approved"
    # Released, the same post settles the rest.
    assert api.post(f"/tasks/{task['id']}/unclaim", as_=colleague).status_code == 200
    again = post_results(api, county, batch["id"], results).json()
    assert [line["result"] for line in again["lines"]] == ["unchanged", "recorded"]
    assert again["batch"]["status"] == "settled"
    assert api.case(second["id"], as_=county["au"])["status"] == "paid"
