"""Simultaneous requests over real HTTP: one completion per task wins, unrelated work never 409s.

Each thread has its own HTTP client (its own connection), and all threads are released at once
by a barrier, so the requests reach the server together. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa

from tests.conftest import VILLAGE_CHAIN, Api, Backend, MakeUser
from tests.factories import VILLAGE_WANGZHUANG, application

THREADS = 16


def race(api: Api, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """POST every ``(username, path, json)`` at the same moment; responses in the same order."""
    base_url = f"{api.server.url}/api/v1"
    tokens = {user: api.server.token(user) for user, _path, _body in requests}
    barrier = threading.Barrier(len(requests))

    def send(user: str, path: str, body: dict) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            client.get("/auth/me").raise_for_status()  # connection open before the start line
            barrier.wait(timeout=30)
            return client.post(path, json=body)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [pool.submit(send, *request) for request in requests]
        return [future.result() for future in futures]


def case_row(backend: Backend, case_id: int) -> sa.Row:
    with backend.engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT status, version FROM application WHERE id = :id"), {"id": case_id}
        ).one()


def task_rows(backend: Backend, case_id: int) -> Counter[tuple[str, str]]:
    """How many task rows of the case there are per (spec, status)."""
    with backend.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT spec, status FROM task WHERE application_id = :id"), {"id": case_id}
        ).all()
    return Counter((row.spec, row.status) for row in rows)


def audit_actions(backend: Backend, case_id: int) -> Counter[str]:
    with backend.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT action FROM audit_event WHERE application_id = :id"), {"id": case_id}
        ).all()
    return Counter(row.action for row in rows)


def assert_trail_verifies(api: Api) -> None:
    report = api.get("/audit/verify", as_="au.county")
    assert report.status_code == 200, report.text
    assert report.json()["ok"] is True, report.json()
    assert report.json()["first_broken"] is None


def assert_conflicts(responses: list[httpx.Response]) -> None:
    for response in responses:
        assert response.status_code == 409, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 409


def test_sixteen_simultaneous_completions_of_one_task_exactly_one_wins(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    version = case_row(backend, case_id).version
    path = f"/tasks/{task['id']}/complete"
    body = {"decision": "approve", "comment": "同时提交", "data": {}}

    responses = race(api, [("cw.lizhuang", path, body)] * THREADS)

    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert_conflicts([r for r in responses if r.status_code != 200])
    assert winners[0].json()["status"] == "in_progress"

    rows = task_rows(backend, case_id)
    assert rows[("village_investigation", "completed")] == 1
    assert rows[("village_investigation", "ready")] == 0
    assert rows[("village_cosign", "ready")] == 1
    assert sum(rows.values()) == 2
    assert case_row(backend, case_id) == ("in_progress", version + 1)
    assert audit_actions(backend, case_id)["task_completed"] == 1
    events = [e for e in api.events(case_id) if e["action"] == "task_completed"]
    assert [(e["actor"], e["task_id"]) for e in events] == [("cw.lizhuang", task["id"])]
    assert api.task_for(case_id, as_="vh.lizhuang")["spec"] == "village_cosign"
    assert_trail_verifies(api)


def test_simultaneous_approve_and_reject_leave_the_case_as_the_winner_decided(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    for user in VILLAGE_CHAIN[:2]:
        api.act(case_id, "approve", as_=user)
    task = api.task_for(case_id, as_="tr.dongcheng")
    version = case_row(backend, case_id).version
    path = f"/tasks/{task['id']}/complete"
    requests = [
        ("tr.dongcheng", path, {"decision": decision, "comment": decision, "data": {}})
        for decision in ("approve", "reject") * (THREADS // 2)
    ]

    responses = race(api, requests)

    won = [
        (request[2]["decision"], response)
        for request, response in zip(requests, responses, strict=True)
        if response.status_code == 200
    ]
    assert len(won) == 1, [r.status_code for r in responses]
    assert_conflicts([r for r in responses if r.status_code != 200])
    decision, response = won[0]
    expected = {"approve": "in_progress", "reject": "rejected"}[decision]
    assert response.json()["status"] == expected
    assert case_row(backend, case_id) == (expected, version + 1)

    rows = task_rows(backend, case_id)
    assert rows[("township_review", "completed")] == 1
    assert rows[("county_verification", "ready")] == (1 if decision == "approve" else 0)
    events = [e for e in api.events(case_id) if e["action"] == "task_completed"]
    assert [e["after"]["decision"] for e in events] == ["approve", "approve", decision]
    assert events[-1]["comment"] == decision
    assert_trail_verifies(api)


def test_completions_of_different_cases_at_the_same_time_all_succeed(
    api: Api, backend: Backend
) -> None:
    lizhuang = []
    for _ in range(2):
        case_id = api.submit()["id"]
        api.attach_required(case_id)
        lizhuang.append(case_id)
    wangzhuang = []
    for _ in range(2):
        body = application(village=VILLAGE_WANGZHUANG)
        case_id = api.submit(body, as_="cw.wangzhuang")["id"]
        api.attach_required(case_id, as_="cw.wangzhuang")
        wangzhuang.append(case_id)
    cases = [(case_id, "cw.lizhuang") for case_id in lizhuang] + [
        (case_id, "cw.wangzhuang") for case_id in wangzhuang
    ]
    requests = [
        (
            user,
            f"/tasks/{api.task_for(case_id, as_=user)['id']}/complete",
            {"decision": "approve", "comment": f"case {case_id}", "data": {}},
        )
        for case_id, user in cases
    ]

    responses = race(api, requests)

    assert [r.status_code for r in responses] == [200] * len(cases), [r.text for r in responses]
    for case_id, _user in cases:
        assert case_row(backend, case_id).status == "in_progress"
        assert task_rows(backend, case_id) == {
            ("village_investigation", "completed"): 1,
            ("village_cosign", "ready"): 1,
        }
        assert audit_actions(backend, case_id)["task_completed"] == 1
    assert_trail_verifies(api)


def test_colleagues_claiming_one_task_at_the_same_time_exactly_one_gets_it(
    api: Api, backend: Backend, ready_case: dict, make_user: MakeUser
) -> None:
    case_id = ready_case["id"]
    for user in VILLAGE_CHAIN[:3]:
        api.act(case_id, "approve", as_=user)
    approvers = ["ca.county", *(make_user(["county_approver"], "130123") for _ in range(3))]
    task = api.task_for(case_id, as_="ca.county")
    path = f"/tasks/{task['id']}/claim"

    responses = race(api, [(user, path, {}) for user in approvers])

    winners = [
        (user, response)
        for user, response in zip(approvers, responses, strict=True)
        if response.status_code == 200
    ]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert_conflicts([r for r in responses if r.status_code != 200])
    winner, response = winners[0]
    assert response.json()["claimed_by"] == winner
    assert api.case(case_id)["tasks"][0]["claimed_by"] == winner
    claims = [e for e in api.events(case_id) if e["action"] == "task_claimed"]
    assert [e["actor"] for e in claims] == [winner]
    for user in approvers:
        expected = [task["id"]] if user == winner else []
        got = api.get("/tasks", as_=user, params={"application_id": case_id}).json()
        assert [t["id"] for t in got] == expected, user
    assert_trail_verifies(api)
