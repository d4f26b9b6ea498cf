"""Recoveries 追回: the finance officer records money got back until the balance is zero."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.recoveries.helpers import EC_AMOUNT_FEN, revoked_paid_case, state


def _recovery(api: Api, case_id: int) -> dict:
    (recovery,) = revoked_paid_case(api, case_id)["recoveries"]
    return recovery


def _pay_back(
    api: Api, recovery_id: int, amount: object, *, as_: str = "fo.county", reference: str = "R-1"
) -> httpx.Response:
    return api.post(
        f"/recoveries/{recovery_id}/payments",
        as_=as_,
        json={"amount_fen": amount, "reference": reference},
    )


def test_payments_reduce_the_balance_until_the_recovery_closes(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    recovery = _recovery(api, case_id)

    first = _pay_back(api, recovery["id"], 100000, reference="退款-001")
    assert first.status_code == 201, first.text
    assert first.json()["recovered_fen"] == 100000
    assert first.json()["balance_fen"] == 200000
    assert first.json()["status"] == "open"
    assert first.json()["closed_at"] is None

    second = _pay_back(api, recovery["id"], 200000, reference="退款-002")
    assert second.status_code == 201, second.text
    closed = second.json()
    assert closed["recovered_fen"] == EC_AMOUNT_FEN
    assert closed["balance_fen"] == 0
    assert closed["status"] == "closed"
    assert closed["closed_at"] is not None
    assert [(p["amount_fen"], p["reference"], p["recorded_by"]) for p in closed["payments"]] == [
        (100000, "退款-001", "fo.county"),
        (200000, "退款-002", "fo.county"),
    ]

    assert api.get(f"/recoveries/{recovery['id']}", as_="au.county").json() == closed
    assert api.case(case_id)["recoveries"] == [closed]
    by_status = {
        status: [
            r["id"]
            for r in api.get(
                "/recoveries",
                as_="fo.county",
                params={"status": status, "application_id": case_id},
            ).json()
        ]
        for status in ("open", "closed")
    }
    assert by_status == {"open": [], "closed": [recovery["id"]]}

    events = api.events(case_id)
    recorded = [e["after"] for e in events if e["action"] == "recovery_payment_recorded"]
    assert recorded == [
        {
            "recovery_id": recovery["id"],
            "amount_fen": 100000,
            "balance_fen": 200000,
            "reference": "退款-001",
        },
        {
            "recovery_id": recovery["id"],
            "amount_fen": 200000,
            "balance_fen": 0,
            "reference": "退款-002",
        },
    ]
    (closing,) = [e for e in events if e["action"] == "recovery_closed"]
    assert closing["actor"] == "fo.county"
    assert closing["role"] == "finance_officer"
    actions = [e["action"] for e in events]
    for action in ("application_revoked", "recovery_opened"):
        assert action in actions
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


def test_a_payment_above_the_balance_is_422(api: Api, backend: Backend, ready_case: dict) -> None:
    case_id = ready_case["id"]
    recovery = _recovery(api, case_id)
    assert _pay_back(api, recovery["id"], 100000).status_code == 201
    before = state(backend, case_id)
    body = assert_problem(_pay_back(api, recovery["id"], 200001), 422, "invalid-input")
    assert body["errors"][0]["field"] == "amount_fen"
    assert state(backend, case_id) == before


def test_a_closed_recovery_takes_no_payment(api: Api, backend: Backend, ready_case: dict) -> None:
    case_id = ready_case["id"]
    recovery = _recovery(api, case_id)
    assert _pay_back(api, recovery["id"], EC_AMOUNT_FEN).json()["status"] == "closed"
    before = state(backend, case_id)
    assert_problem(_pay_back(api, recovery["id"], 1), 409, "conflict")
    assert state(backend, case_id) == before


@pytest.mark.parametrize(
    ("amount", "reference", "field"),
    [
        (0, "R-1", "amount_fen"),
        (-100, "R-1", "amount_fen"),
        (1000.5, "R-1", "amount_fen"),  # money is integer fen
        ("lots", "R-1", "amount_fen"),
        (2**40, "R-1", "amount_fen"),
        (100, "", "reference"),
        (100, "   ", "reference"),
        (100, "R" * 101, "reference"),
    ],
)
def test_invalid_payments_are_422(
    api: Api,
    backend: Backend,
    ready_case: dict,
    amount: object,
    reference: str,
    field: str,
) -> None:
    case_id = ready_case["id"]
    recovery = _recovery(api, case_id)
    before = state(backend, case_id)
    response = _pay_back(api, recovery["id"], amount, reference=reference)
    body = assert_problem(response, 422, "invalid-input")
    assert [error["field"] for error in body["errors"]] == [field]
    assert state(backend, case_id) == before


@pytest.mark.parametrize("user", ["ca.county", "au.county", "admin", "tr.dongcheng", "cw.lizhuang"])
def test_only_the_finance_officer_records_payments(
    api: Api, backend: Backend, ready_case: dict, user: str
) -> None:
    case_id = ready_case["id"]
    recovery = _recovery(api, case_id)
    before = state(backend, case_id)
    assert_problem(_pay_back(api, recovery["id"], 100, as_=user), 403, "forbidden")
    assert state(backend, case_id) == before


def test_readers_and_non_readers(api: Api, ready_case: dict) -> None:
    recovery = _recovery(api, ready_case["id"])
    for user in ("fo.county", "ca.county", "au.county", "admin"):
        one = api.get(f"/recoveries/{recovery['id']}", as_=user)
        assert one.status_code == 200, (user, one.text)
        listed = api.get("/recoveries", as_=user, params={"status": "open"})
        assert recovery["id"] in [r["id"] for r in listed.json()]
    for user in ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng"):
        assert_problem(api.get("/recoveries", as_=user), 403, "forbidden")
        assert_problem(api.get(f"/recoveries/{recovery['id']}", as_=user), 403, "forbidden")
    assert_problem(api.get("/recoveries", as_=None), 401)


def test_recoveries_outside_the_jurisdiction_are_invisible(
    api: Api, backend: Backend, make_user: MakeUser, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    recovery = _recovery(api, case_id)
    xihe_finance = make_user(["finance_officer"], "130123200")  # 西河乡, not 李庄村's township
    listed = api.get("/recoveries", as_=xihe_finance, params={"application_id": case_id})
    assert listed.status_code == 200
    assert listed.json() == []
    everything = api.get("/recoveries", as_=xihe_finance, params={"limit": 500}).json()
    assert recovery["id"] not in [r["id"] for r in everything]
    assert_problem(api.get(f"/recoveries/{recovery['id']}", as_=xihe_finance), 404, "not-found")
    before = state(backend, case_id)
    assert_problem(_pay_back(api, recovery["id"], 100, as_=xihe_finance), 404, "not-found")
    assert state(backend, case_id) == before


def test_unknown_recoveries_and_filters(api: Api) -> None:
    assert_problem(api.get(f"/recoveries/{2**31 - 1}", as_="fo.county"), 404, "not-found")
    assert_problem(_pay_back(api, 2**31 - 1, 100), 404, "not-found")
    body = assert_problem(
        api.get("/recoveries", as_="fo.county", params={"status": "lost"}), 422, "invalid-input"
    )
    assert body["errors"][0]["field"] == "status"


def test_racing_payments_never_take_the_balance_below_zero(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    """Eight payments of 200,000 fen against 300,000 at the same moment: exactly one lands."""
    case_id = ready_case["id"]
    recovery = _recovery(api, case_id)
    token = api.server.token("fo.county")
    barrier = threading.Barrier(8)

    def send(n: int) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{api.server.url}/api/v1", headers=headers, timeout=60) as c:
            c.get("/auth/me").raise_for_status()  # connection open before the start line
            barrier.wait(timeout=30)
            body = {"amount_fen": 200000, "reference": f"R-{n}"}
            return c.post(f"/recoveries/{recovery['id']}/payments", json=body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, [r.text for r in responses]
    # The losers either saw the new balance (422) or lost the conditional update (409).
    assert set(statuses) <= {201, 409, 422}
    after = state(backend, case_id)
    assert (after["recovered"], after["payments"]) == (200000, 1)
    assert api.get(f"/recoveries/{recovery['id']}", as_="fo.county").json()["balance_fen"] == (
        EC_AMOUNT_FEN - 200000
    )
