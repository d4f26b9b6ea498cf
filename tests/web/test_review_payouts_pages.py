"""Batch review 集中申报复核 (/review) and the finance officer's payouts (/payouts), over HTTP.

The server is shared with other tests: the review tests look only for their own cases' tasks
(and complete only those), and the payout tests work in a county of their own, because a bank
batch takes every pending payout of the county.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import Api, Backend, MakeUser, Server
from tests.fresh_county import County, approved_case, make_county
from tests.recoveries.helpers import EC_AMOUNT_FEN, revoked_paid_case
from tests.web.pages import Page, logged_in

VILLAGE_LEVELS = ("cw.lizhuang", "vh.lizhuang")
COUNTY_READY = (*VILLAGE_LEVELS, "tr.dongcheng")  # then the case waits for ca.county


def english(page: Page) -> Page:
    """Assertions read the English messages (the catalogue is translated separately)."""
    response = page.post("/language", {"language": "en", "next": "/"})
    assert response.status_code == 303, response.text
    return page


def case_at(api: Api, levels: tuple[str, ...]) -> int:
    """A fresh 李庄村 case approved by ``levels``, in that order."""
    case = api.submit()
    api.attach_required(case["id"])
    for username in levels:
        api.act(case["id"], "approve", as_=username)
    return int(case["id"])


def checkbox(task_id: int) -> str:
    return f'name="task_id" value="{task_id}"'


def test_caseworkers_do_not_see_review_or_payouts(server: Server) -> None:
    page = logged_in(server, "cw.lizhuang")
    for path in ("/review", "/payouts"):
        assert page.get(path).status_code == 404, path
    assert page.post("/review", {"task_id": "1", "decision": "approve"}).status_code == 404
    assert page.post("/payouts/batches", {}).status_code == 404
    # A township reviewer reviews but does not pay; a finance officer pays but does not review.
    assert logged_in(server, "tr.dongcheng").get("/payouts").status_code == 404
    assert logged_in(server, "fo.county").get("/review").status_code == 404


def test_batch_review_approves_every_selected_county_task(server: Server, api: Api) -> None:
    cases = [case_at(api, COUNTY_READY) for _ in range(2)]
    tasks = [api.task_for(case, as_="ca.county")["id"] for case in cases]
    page = english(logged_in(server, "ca.county"))

    listing = page.get("/review")
    assert listing.status_code == 200
    assert 'data-select-all="task_id"' in listing.text
    for case, task in zip(cases, tasks, strict=True):
        assert checkbox(task) in listing.text
        assert f'href="/applications/{case}"' in listing.text
    assert "李庄村" in listing.text

    answer = page.post(
        "/review", {"task_id": [str(t) for t in tasks], "decision": "approve", "comment": "同意"}
    )
    assert answer.status_code == 200, answer.text
    assert "2 done, 0 refused" in answer.text
    for task in tasks:  # done, and no longer offered
        assert checkbox(task) not in answer.text
    for case in cases:
        assert api.case(case)["status"] == "approved"
        assert api.task_for(case, as_="fo.county")["role"] == "finance_officer"


def test_a_task_not_the_users_is_refused_on_its_own(server: Server, api: Api) -> None:
    county_case = case_at(api, COUNTY_READY)
    township_case = case_at(api, VILLAGE_LEVELS)  # waits for tr.dongcheng, not ca.county
    county_task = api.task_for(county_case, as_="ca.county")["id"]
    township_task = api.task_for(township_case, as_="tr.dongcheng")["id"]
    page = english(logged_in(server, "ca.county"))
    page.get("/review")

    answer = page.post(
        "/review",
        {"task_id": [str(county_task), str(township_task)], "decision": "approve"},
    )
    assert answer.status_code == 200, answer.text
    assert "1 done, 1 refused" in answer.text
    row = re.search(
        rf"<tr class=\"result result-refused\">\s*<td>#{township_task}\b.*?</tr>", answer.text, re.S
    )
    assert row, answer.text
    assert "Refused" in row.group(0)
    assert api.case(county_case)["status"] == "approved"
    # The township's task is untouched, still the township reviewer's.
    assert api.task_for(township_case, as_="tr.dongcheng")["id"] == township_task


def test_nothing_selected_changes_nothing(server: Server, api: Api) -> None:
    case = case_at(api, COUNTY_READY)
    task = api.task_for(case, as_="ca.county")["id"]
    page = english(logged_in(server, "ca.county"))
    page.get("/review")
    before = len(api.events(case))

    answer = page.post("/review", {"decision": "reject", "comment": "材料不全"})
    assert answer.status_code == 422
    assert "Select at least one task." in answer.text
    assert 'id="task_id-error"' in answer.text
    assert checkbox(task) in answer.text  # the list is still there
    assert api.task_for(case, as_="ca.county")["id"] == task
    assert api.case(case)["status"] == "in_progress"
    assert len(api.events(case)) == before


def test_rejecting_by_batch_review_ends_the_case(server: Server, api: Api) -> None:
    case = case_at(api, COUNTY_READY)
    task = api.task_for(case, as_="ca.county")["id"]
    page = english(logged_in(server, "ca.county"))
    page.get("/review")
    answer = page.post("/review", {"task_id": str(task), "decision": "reject", "comment": "不符"})
    assert answer.status_code == 200, answer.text
    assert "1 done, 0 refused" in answer.text
    assert api.case(case)["status"] == "rejected"


# --- payouts --------------------------------------------------------------------------------


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def payout_of(api: Api, county: County, case_id: int) -> dict:
    response = api.get("/payouts", as_=county["fo"], params={"application_id": case_id})
    assert response.status_code == 200, response.text
    (payout,) = response.json()["items"]
    return payout


def test_a_pending_payout_is_paid_from_the_page(server: Server, api: Api, county: County) -> None:
    case = approved_case(api, county)
    page = english(logged_in(server, county["fo"]))

    listing = page.get("/payouts")
    assert listing.status_code == 200
    row = re.search(r'<tr class="payout" id="payout-\d+">.*?</tr>', listing.text, re.S)
    assert row, listing.text
    assert f'href="/applications/{case["id"]}"' in row.group(0)
    assert "¥3,000.00" in row.group(0)
    assert "李庄村" in row.group(0)
    task = api.task_for(case["id"], as_=county["fo"])["id"]
    assert f'action="/payouts/tasks/{task}/pay"' in row.group(0)

    # Without the form's token: refused, nothing paid.
    refused = page.post(f"/payouts/tasks/{task}/pay", {"bank_reference": "X1"}, csrf=False)
    assert refused.status_code == 403
    assert payout_of(api, county, case["id"])["status"] == "pending"

    # No reference: the form again, with the message beside the field.
    empty = page.post(f"/payouts/tasks/{task}/pay", {"bank_reference": " "})
    assert empty.status_code == 422
    assert f'id="task-{task}-error"' in empty.text
    assert payout_of(api, county, case["id"])["status"] == "pending"

    paid = page.post(f"/payouts/tasks/{task}/pay", {"bank_reference": "BANK-REF-1"})
    assert (paid.status_code, paid.headers["location"]) == (303, "/payouts")
    payout = payout_of(api, county, case["id"])
    assert (payout["status"], payout["bank_reference"]) == ("paid", "BANK-REF-1")
    assert api.case(case["id"], as_=county["au"])["status"] == "paid"
    after = page.get("/payouts")
    assert "Payout recorded as paid" in after.text
    assert f'href="/applications/{case["id"]}"' not in after.text


def test_a_bank_batch_from_the_page(server: Server, api: Api, county: County) -> None:
    case = approved_case(api, county)
    page = english(logged_in(server, county["fo"]))
    page.get("/payouts")

    assert page.post("/payouts/batches", {"period": "last year"}).status_code == 422
    assert page.post("/payouts/batches", {}, csrf=False).status_code == 403
    assert api.get("/payouts/batches", as_=county["fo"]).json()["items"] == []

    made = page.post("/payouts/batches", {"program": "", "period": ""})
    assert (made.status_code, made.headers["location"]) == (303, "/payouts")
    (batch,) = api.get("/payouts/batches", as_=county["fo"]).json()["items"]
    detail = api.get(f"/payouts/batches/{batch['id']}", as_=county["fo"]).json()
    (line,) = detail["lines"]
    assert line["application_id"] == case["id"]

    listing = page.get("/payouts")
    assert "Bank batch created" in listing.text
    assert batch["reference"] in listing.text
    assert line["reference"] in listing.text
    for file_format in ("csv", "xlsx"):
        download = page.get(f"/payouts/batches/{batch['id']}/bank-file?format={file_format}")
        assert download.status_code == 200, download.text
        disposition = download.headers["content-disposition"]
        assert f'filename="{batch["reference"]}.{file_format}"' in disposition
        assert download.headers["cache-control"] == "no-store"
    assert (
        line["reference"].encode()
        in page.get(f"/payouts/batches/{batch['id']}/bank-file?format=csv").content
    )

    # A failed line without the bank's reason: refused beside the batch, nothing recorded.
    form = {"reference": line["reference"], "amount_fen": str(line["amount_fen"])}
    page.get("/payouts")
    missing = page.post(f"/payouts/batches/{batch['id']}/results", {**form, "status": "failed"})
    assert missing.status_code == 422
    assert f'id="results-{batch["id"]}-error"' in missing.text
    assert payout_of(api, county, case["id"])["status"] == "pending"

    recorded = page.post(
        f"/payouts/batches/{batch['id']}/results",
        {**form, "status": "paid", "bank_reference": "BANK-77"},
    )
    assert recorded.status_code == 200, recorded.text
    assert "1 recorded, 0 unchanged, 0 refused" in recorded.text
    payout = payout_of(api, county, case["id"])
    assert (payout["status"], payout["bank_reference"]) == ("paid", "BANK-77")
    settled = api.get(f"/payouts/batches/{batch['id']}", as_=county["fo"]).json()
    assert (settled["status"], settled["paid_count"]) == ("settled", 1)


def test_a_repayment_is_recorded_against_a_recovery(
    server: Server, api: Api, ready_case: dict
) -> None:
    case = revoked_paid_case(api, ready_case["id"])
    (recovery,) = case["recoveries"]
    assert recovery["balance_fen"] == EC_AMOUNT_FEN
    page = english(logged_in(server, "fo.county"))
    listing = page.get("/payouts")
    row = re.search(
        rf'<tr class="recovery" id="recovery-{recovery["id"]}">.*?</tr>', listing.text, re.S
    )
    assert row, listing.text
    assert f'href="/applications/{case["id"]}"' in row.group(0)
    assert "¥3,000.00" in row.group(0)

    path = f"/payouts/recoveries/{recovery['id']}/payments"
    too_much = page.post(path, {"amount": "3000.01", "reference": "R-1"})
    assert too_much.status_code == 422
    assert f'id="recovery-{recovery["id"]}-error"' in too_much.text
    assert page.post(path, {"amount": "abc", "reference": "R-1"}).status_code == 422
    assert page.post(path, {"amount": "1000", "reference": "R-1"}, csrf=False).status_code == 403

    done = page.post(path, {"amount": "1,000.50", "reference": "R-1"})
    assert (done.status_code, done.headers["location"]) == (303, "/payouts")
    after = api.get(f"/recoveries/{recovery['id']}", as_="fo.county").json()
    assert (after["recovered_fen"], after["balance_fen"]) == (100050, EC_AMOUNT_FEN - 100050)
    assert [p["reference"] for p in after["payments"]] == ["R-1"]
    assert "Repayment recorded" in page.get("/payouts").text


def test_a_batch_reject_without_a_reason_is_refused_and_changes_nothing(
    server: Server, api: Api
) -> None:
    case = case_at(api, COUNTY_READY)
    task = api.task_for(case, as_="ca.county")["id"]
    page = logged_in(server, "ca.county")
    page.get("/review")
    answer = page.post("/review", {"task_id": str(task), "decision": "reject", "comment": " "})
    assert answer.status_code == 422
    assert "理由" in answer.text
    assert api.task_for(case, as_="ca.county")["id"] == task
    assert api.case(case)["status"] == "in_progress"
