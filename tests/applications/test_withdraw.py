"""Withdrawal: the household changes its mind before county approval."""

from __future__ import annotations

import pytest

from tests.conftest import Api, Backend, assert_problem
from tests.factories import application


def _withdraw(api: Api, case_id: int, *, as_: str = "cw.lizhuang", reason: str = "家属撤回申请"):
    return api.post(f"/applications/{case_id}/withdraw", as_=as_, json={"reason": reason})


def test_withdrawal_ends_open_tasks_releases_the_household_and_is_audited(api: Api) -> None:
    body = application()
    case_id = api.submit(body)["id"]
    api.attach_required(case_id)
    api.act(case_id, "approve", as_="cw.lizhuang")  # now with the village head

    response = _withdraw(api, case_id)
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "withdrawn"
    assert case["tasks"] == []
    assert api.get("/tasks", as_="vh.lizhuang", params={"application_id": case_id}).json() == []
    events = api.events(case_id)
    withdrawn = [e for e in events if e["action"] == "application_withdrawn"]
    assert len(withdrawn) == 1
    assert withdrawn[0]["comment"] == "家属撤回申请"
    assert withdrawn[0]["before"] == {"status": "in_progress"}
    # The household may apply again.
    assert api.submit(body)["id"] != case_id


def test_a_returned_case_can_be_withdrawn(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    api.act(case_id, "return", as_="cw.lizhuang", comment="等待材料")
    assert _withdraw(api, case_id).json()["status"] == "withdrawn"


def test_after_county_approval_withdrawal_is_refused(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    for user in ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county"):
        api.act(case_id, "approve", as_=user)
    assert_problem(_withdraw(api, case_id), 409, "conflict")
    assert api.case(case_id)["status"] == "approved"


@pytest.mark.parametrize(
    ("user", "status"),
    [("cw.hekou", 404), ("vh.lizhuang", 403), ("tr.dongcheng", 403), ("au.county", 403)],
)
def test_only_the_village_caseworker_withdraws(
    api: Api, backend: Backend, ready_case: dict, user: str, status: int
) -> None:
    case_id = ready_case["id"]
    assert_problem(_withdraw(api, case_id, as_=user), status)
    assert api.case(case_id)["status"] == "in_progress"


def test_a_reason_is_required(api: Api, ready_case: dict) -> None:
    response = _withdraw(api, ready_case["id"], reason="")
    body = assert_problem(response, 422, "invalid-input")
    assert body["errors"][0]["field"] == "reason"


def test_withdrawing_twice_is_409(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    assert _withdraw(api, case_id).status_code == 200
    assert_problem(_withdraw(api, case_id), 409, "conflict")
