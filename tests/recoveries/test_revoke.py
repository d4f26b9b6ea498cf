"""Revocation 取消资格: the county cancels an approved case on evidence of fraud."""

from __future__ import annotations

import hashlib
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from stdnum.cn import ric

from service.engine import Instance, parse_flow
from tests.conftest import ROOT, Api, Backend, MakeUser, assert_problem
from tests.factories import JPEG, PDF, PNG, application
from tests.recoveries.helpers import (
    EC_AMOUNT_FEN,
    REASON,
    approve_through_county,
    pay,
    revoke,
    revoked_paid_case,
    state,
)


def test_revoking_a_paid_case_opens_a_recovery_of_the_money_paid(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    case = revoked_paid_case(api, case_id)

    assert case["status"] == "revoked"
    assert case["tasks"] == []
    assert case["payout"]["status"] == "paid"  # the payout record itself stays what happened
    (recovery,) = case["recoveries"]
    assert recovery["amount_due_fen"] == EC_AMOUNT_FEN
    assert recovery["recovered_fen"] == 0
    assert recovery["balance_fen"] == EC_AMOUNT_FEN
    assert recovery["status"] == "open"
    assert recovery["reason"] == REASON
    assert recovery["payments"] == []
    (evidence,) = [d for d in case["documents"] if d["kind"] == "revocation_evidence"]
    assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert evidence["content_type"] == "application/pdf"

    listed = api.get("/recoveries", as_="fo.county", params={"application_id": case_id})
    assert listed.status_code == 200, listed.text
    assert listed.json() == [recovery]
    assert api.case(case_id, as_="ca.county")["recoveries"] == [recovery]

    events = api.events(case_id)
    (revoked,) = [e for e in events if e["action"] == "application_revoked"]
    assert revoked["actor"] == "ca.county"
    assert revoked["role"] == "county_approver"
    assert revoked["comment"] == REASON
    assert revoked["before"] == {"status": "paid"}
    assert revoked["after"]["status"] == "revoked"
    assert [e["sha256"] for e in revoked["after"]["evidence"]] == [evidence["sha256"]]
    (opened,) = [e for e in events if e["action"] == "recovery_opened"]
    assert opened["after"]["amount_due_fen"] == EC_AMOUNT_FEN
    assert opened["after"]["payout_id"] == recovery["payout_id"]
    assert opened["after"]["recovery_id"] == recovery["id"]
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


def test_a_revoked_household_keeps_its_claim(api: Api) -> None:
    body = application()
    case_id = api.submit(body)["id"]
    api.attach_required(case_id)
    revoked_paid_case(api, case_id)
    again = api.post("/applications", as_="cw.lizhuang", json=body)
    assert assert_problem(again, 409, "duplicate-case")["existing_application_id"] == case_id


def test_revoking_an_approved_case_cancels_its_pending_payout(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    approve_through_county(api, case_id)
    assert api.task_for(case_id, as_="fo.county")["role"] == "finance_officer"

    response = revoke(api, case_id)
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "revoked"
    assert case["payout"]["status"] == "cancelled"
    assert case["recoveries"] == []
    assert api.get("/tasks", as_="fo.county", params={"application_id": case_id}).json() == []
    assert state(backend, case_id)["ready_tasks"] == 0
    actions = [e["action"] for e in api.events(case_id)]
    assert "payout_cancelled" in actions
    assert "recovery_opened" not in actions
    # Nothing is owed any more: the finance officer cannot pay it.
    listed = api.get("/recoveries", as_="fo.county", params={"application_id": case_id})
    assert listed.json() == []


def test_several_evidence_files_are_all_kept(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    approve_through_county(api, case_id)
    files = [
        ("report.pdf", PDF, "application/pdf"),
        ("photo.png", PNG, "image/png"),
        ("scan.jpg", JPEG, "image/jpeg"),
    ]
    response = revoke(api, case_id, files=files)
    assert response.status_code == 200, response.text
    evidence = [d for d in response.json()["documents"] if d["kind"] == "revocation_evidence"]
    assert [d["content_type"] for d in evidence] == ["application/pdf", "image/png", "image/jpeg"]
    assert [d["filename"] for d in evidence] == ["report.pdf", "photo.png", "scan.jpg"]


def test_before_county_approval_the_county_rejects_instead(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")
    api.act(case_id, "approve", as_="tr.dongcheng")  # now with the county approver
    before = state(backend, case_id)
    assert_problem(revoke(api, case_id), 409, "conflict")
    assert state(backend, case_id) == before
    assert api.case(case_id)["status"] == "in_progress"


@pytest.mark.parametrize("ending", ["withdraw", "reject"])
def test_a_case_that_ended_otherwise_cannot_be_revoked(
    api: Api, backend: Backend, ready_case: dict, ending: str
) -> None:
    case_id = ready_case["id"]
    if ending == "withdraw":
        body = {"reason": "家属撤回"}
        withdrawn = api.post(f"/applications/{case_id}/withdraw", as_="cw.lizhuang", json=body)
        assert withdrawn.status_code == 200, withdrawn.text
    else:
        api.act(case_id, "reject", as_="cw.lizhuang", comment="不符合条件")
    before = state(backend, case_id)
    assert_problem(revoke(api, case_id), 409, "conflict")
    assert state(backend, case_id) == before


def test_revoking_twice_is_409_and_opens_nothing_more(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    revoked_paid_case(api, case_id)
    before = state(backend, case_id)
    assert_problem(revoke(api, case_id), 409, "conflict")
    assert state(backend, case_id) == before
    assert before["recoveries"] == 1


@pytest.mark.parametrize("user", ["tr.dongcheng", "cw.lizhuang", "fo.county", "au.county", "admin"])
def test_only_the_county_approver_revokes(
    api: Api, backend: Backend, ready_case: dict, user: str
) -> None:
    case_id = ready_case["id"]
    approve_through_county(api, case_id)
    pay(api, case_id)
    before = state(backend, case_id)
    assert_problem(revoke(api, case_id, as_=user), 403, "forbidden")
    assert state(backend, case_id) == before


def test_without_a_token_revocation_is_401(api: Api, ready_case: dict) -> None:
    assert_problem(revoke(api, ready_case["id"], as_=None), 401)  # type: ignore[arg-type]


def test_an_approver_outside_the_village_sees_no_case(
    api: Api, backend: Backend, make_user: MakeUser, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    approve_through_county(api, case_id)
    pay(api, case_id)
    xihe_approver = make_user(["county_approver"], "130123200")  # 西河乡, not 李庄村's township
    before = state(backend, case_id)
    assert_problem(revoke(api, case_id, as_=xihe_approver), 404, "not-found")
    assert_problem(revoke(api, 2**31 - 1), 404, "not-found")
    assert state(backend, case_id) == before


@pytest.mark.parametrize(
    ("reason", "files", "field"),
    [
        (REASON, [], "evidence"),
        (REASON, [("notes.txt", b"just some text", "text/plain")], "evidence"),
        # The type is sniffed from the bytes, whatever the part claims to be.
        (REASON, [("fake.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")], "evidence"),
        (
            REASON,
            [("proof.pdf", PDF, "application/pdf"), ("x.gif", b"GIF89a", "image/gif")],
            "evidence",
        ),
        (REASON, [("empty.pdf", b"", "application/pdf")], "evidence"),
        (None, None, "reason"),
        ("", None, "reason"),
        ("   ", None, "reason"),
        ("长" * 2001, None, "reason"),
    ],
)
def test_invalid_revocations_are_422_and_change_nothing(
    api: Api,
    backend: Backend,
    ready_case: dict,
    reason: str | None,
    files: list[tuple[str, bytes, str]] | None,
    field: str,
) -> None:
    case_id = ready_case["id"]
    approve_through_county(api, case_id)
    pay(api, case_id)
    before = state(backend, case_id)
    body = assert_problem(revoke(api, case_id, reason=reason, files=files), 422, "invalid-input")
    assert field in [error["field"] for error in body["errors"]], body
    assert state(backend, case_id) == before


def test_evidence_over_the_upload_limit_is_413(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    approve_through_county(api, case_id)
    before = state(backend, case_id)
    big = PDF + b"0" * (256 * 1024)
    response = revoke(api, case_id, files=[("big.pdf", big, "application/pdf")])
    assert_problem(response, 413, "payload-too-large")
    assert state(backend, case_id) == before


def test_the_village_cannot_file_revocation_evidence_itself(api: Api, ready_case: dict) -> None:
    body = assert_problem(api.attach(ready_case["id"], "revocation_evidence"), 422)
    assert body["errors"][0]["field"] == "kind"


# --- special assistance: an enrolment with a yearly review under way ------------------------


def _start_review(backend: Backend, case_id: int) -> tuple[int, int]:
    """A yearly review of the case with its village task, as the yearly job leaves it."""
    content = (ROOT / Path("workflows/special_assistance_review.bpmn")).read_bytes()
    flow = parse_flow(content)
    instance = Instance.start(flow, {"year": 2026})
    (ready,) = instance.ready_tasks()
    now = datetime.now(UTC)
    with backend.engine.begin() as connection:
        version_id = connection.execute(
            sa.text("SELECT id FROM flow_version WHERE key = :key AND sha256 = :sha"),
            {"key": flow.key, "sha": flow.sha256},
        ).scalar_one()
        review_id = connection.execute(
            sa.text(
                "INSERT INTO review (application_id, year, flow_version_id, status,"
                " workflow_state, version, created_at, updated_at)"
                " VALUES (:case, 2026, :flow, 'in_progress', :state, 1, :now, :now)"
                " RETURNING id"
            ),
            {"case": case_id, "flow": version_id, "state": instance.dump(), "now": now},
        ).scalar_one()
        task_id = connection.execute(
            sa.text(
                "INSERT INTO task (application_id, review_id, engine_task_id, spec, name, role,"
                " village_code, priority, status, created_at)"
                " VALUES (:case, :review, :engine, :spec, :name, :role, '130123100201', false,"
                " 'ready', :now) RETURNING id"
            ),
            {
                "case": case_id,
                "review": review_id,
                "engine": ready.engine_task_id,
                "spec": ready.spec,
                "name": ready.name,
                "role": ready.lane,
                "now": now,
            },
        ).scalar_one()
    return review_id, task_id


def _special_assistance() -> dict[str, object]:
    """An eligible household: the mother is over 49 (GB 11643: an even 17th digit is female)."""
    digits = f"13012319700301{random.randint(0, 99):02d}{random.choice('02468')}"
    mother = digits + ric.calc_check_digit(digits + "0")
    body = application(program="special_assistance", applicant_id=mother)
    body["household"]["certificate_holder"] = True  # type: ignore[index]
    return body


def test_revoking_an_enrolment_ends_its_yearly_review(api: Api, backend: Backend) -> None:
    case_id = api.submit(_special_assistance())["id"]
    api.attach_required(case_id)
    approve_through_county(api, case_id)
    assert api.case(case_id)["status"] == "enrolled"
    review_id, task_id = _start_review(backend, case_id)

    response = revoke(api, case_id)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked"
    with backend.engine.connect() as connection:
        review = connection.execute(
            sa.text("SELECT status, version FROM review WHERE id = :id"), {"id": review_id}
        ).one()
        task = connection.execute(
            sa.text("SELECT status FROM task WHERE id = :id"), {"id": task_id}
        ).scalar_one()
    assert (review.status, review.version) == ("ended", 2)
    assert task == "cancelled"
    assert api.get("/tasks", as_="cw.lizhuang", params={"application_id": case_id}).json() == []


# --- races ---------------------------------------------------------------------------------


def _at_once(api: Api, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """POST every ``(username, path, kwargs)`` at the same moment; responses in order."""
    barrier = threading.Barrier(len(requests))
    tokens = {user: api.server.token(user) for user, _path, _kwargs in requests}

    def send(user: str, path: str, kwargs: dict) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        with httpx.Client(base_url=f"{api.server.url}/api/v1", headers=headers, timeout=60) as c:
            c.get("/auth/me").raise_for_status()  # connection open before the start line
            barrier.wait(timeout=30)
            return c.post(path, **kwargs)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(lambda request: send(*request), requests))


def _revocation(case_id: int) -> tuple[str, str, dict]:
    form = {"data": {"reason": REASON}, "files": [("evidence", ("p.pdf", PDF, "application/pdf"))]}
    return ("ca.county", f"/applications/{case_id}/revoke", form)


def test_racing_revocations_revoke_once(api: Api, backend: Backend, ready_case: dict) -> None:
    case_id = ready_case["id"]
    approve_through_county(api, case_id)
    pay(api, case_id)
    responses = _at_once(api, [_revocation(case_id)] * 4)
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    after = state(backend, case_id)
    assert (after["status"], after["recoveries"]) == ("revoked", 1)
    actions = [e["action"] for e in api.events(case_id)]
    assert actions.count("application_revoked") == 1


def test_a_revocation_racing_the_payout_leaves_the_money_accounted_for(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    approve_through_county(api, case_id)
    task_id = api.task_for(case_id, as_="fo.county")["id"]
    payout = (
        "fo.county",
        f"/tasks/{task_id}/complete",
        {"json": {"decision": "approve", "data": {"bank_reference": "BANK-RACE"}}},
    )
    paid, revoked = _at_once(api, [payout, _revocation(case_id)])
    after = state(backend, case_id)
    assert 200 in (paid.status_code, revoked.status_code), (paid.text, revoked.text)
    if revoked.status_code == 200:
        # Paid first and then revoked: the money is owed back; revoked first: never paid.
        owed = (["paid"], 1) if paid.status_code == 200 else (["cancelled"], 0)
        assert (after["status"], after["payouts"], after["recoveries"]) == ("revoked", *owed)
    else:
        assert (after["status"], after["payouts"], after["recoveries"]) == ("paid", ["paid"], 0)
