"""``Idempotency-Key`` on completions and payout actions: a retry returns the first result and
changes nothing more; a key reused for another request is refused; keys belong to their user.

Runs on SQLite and PostgreSQL. Concurrent retries are sent by threads released together.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from service.clock import set_clock
from tests.conftest import Api, Backend, MakeUser, assert_problem, relief_cli
from tests.flows.helpers import own_server
from tests.fresh_county import County, approved_case, make_county
from tests.payouts.helpers import post_results
from tests.payouts.test_batches import enrolled_with_yearly_payout
from tests.tasks.test_concurrency import assert_trail_verifies, audit_actions, case_row, task_rows

THREADS = 12
APPROVE = {"decision": "approve", "comment": "重试 retry", "data": {}}


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"retry-{uuid.uuid4()}"}


def race_same(api: Api, user: str, path: str, body: dict, headers: dict, n: int) -> list:
    """POST the same request ``n`` times at the same moment, each on its own connection."""
    token = api.server.token(user)
    barrier = threading.Barrier(n)

    def send() -> httpx.Response:
        with httpx.Client(
            base_url=f"{api.server.url}/api/v1",
            headers={"Authorization": f"Bearer {token}", **headers},
            timeout=60,
        ) as client:
            client.get("/auth/me").raise_for_status()  # connection open before the start line
            barrier.wait(timeout=30)
            return client.post(path, json=body)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return [future.result() for future in [pool.submit(send) for _ in range(n)]]


def replays_of(first: httpx.Response, responses: list[httpx.Response]) -> None:
    """Every response is the first result (same status and body) or a 409 problem."""
    for response in responses:
        if response.status_code == 409:
            assert response.headers["content-type"].startswith("application/problem+json")
            continue
        assert response.status_code == first.status_code, response.text
        assert response.json() == first.json()


def test_a_retried_completion_returns_the_first_result_and_changes_nothing(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    path = f"/tasks/{task['id']}/complete"
    headers = key()
    first = api.post(path, as_="cw.lizhuang", json=APPROVE, headers=headers)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = (case_row(backend, case_id), task_rows(backend, case_id))

    for _ in range(2):
        again = api.post(path, as_="cw.lizhuang", json=APPROVE, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
    # Same JSON with other spacing and key order is the same request.
    respaced = api.post(
        path,
        as_="cw.lizhuang",
        content='{ "data": {},  "comment": "重试 retry", "decision": "approve" }'.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert respaced.status_code == 200, respaced.text
    assert respaced.json() == first.json()

    assert (case_row(backend, case_id), task_rows(backend, case_id)) == after_first
    assert audit_actions(backend, case_id)["task_completed"] == 1
    # Without the key, the same request is a second completion of a completed task: 409.
    assert_problem(api.post(path, as_="cw.lizhuang", json=APPROVE), 409, "stale-task")
    with backend.engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT status_code, path FROM idempotency_record WHERE key = :k"),
            {"k": headers["Idempotency-Key"]},
        ).all()
    assert [tuple(row) for row in stored] == [(200, f"/api/v1{path}")]
    assert_trail_verifies(api)


def test_concurrent_retries_of_one_completion_change_the_case_once(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    version = case_row(backend, case_id).version
    path = f"/tasks/{task['id']}/complete"

    responses = race_same(api, "cw.lizhuang", path, APPROVE, key(), THREADS)

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    successes = [r for r in responses if r.status_code == 200]
    assert successes, [r.text for r in responses]
    replays_of(successes[0], responses)
    assert successes[0].json()["status"] == "in_progress"
    # Exactly one of them ran: the others were answered from its record (or refused).
    assert sum("idempotent-replayed" not in r.headers for r in successes) == 1
    assert len(successes) > 1, "no retry was answered with the first result"
    assert case_row(backend, case_id) == ("in_progress", version + 1)
    rows = task_rows(backend, case_id)
    assert rows[("village_investigation", "completed")] == 1
    assert rows[("village_cosign", "ready")] == 1
    assert sum(rows.values()) == 2
    assert audit_actions(backend, case_id)["task_completed"] == 1
    assert_trail_verifies(api)


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def paid_events(api: Api, county: County, case_id: int) -> list[dict]:
    params = {"application_id": case_id, "limit": 1000}
    items = api.get("/audit/events", as_=county["au"], params=params).json()["items"]
    return [e for e in items if e["action"] == "payout_paid"]


def test_concurrent_retries_of_a_payment_pay_once(
    api: Api, backend: Backend, county: County
) -> None:
    case = enrolled_with_yearly_payout(api, county)
    payout_id = case["payouts"][0]["id"]
    body = {"bank_reference": f"RCC-{uuid.uuid4().hex[:12]}"}
    headers = key()

    responses = race_same(api, county["fo"], f"/payouts/{payout_id}/pay", body, headers, THREADS)

    successes = [r for r in responses if r.status_code == 200]
    assert successes
    assert set(Counter(r.status_code for r in responses)) <= {200, 409}
    replays_of(successes[0], responses)
    assert successes[0].json()["status"] == "paid"
    assert successes[0].json()["bank_reference"] == body["bank_reference"]
    assert sum("idempotent-replayed" not in r.headers for r in successes) == 1
    assert len(successes) > 1, "no retry was answered with the first result"
    events = paid_events(api, county, case["id"])
    assert [e["after"]["payout_id"] for e in events] == [payout_id]

    later = api.post(f"/payouts/{payout_id}/pay", as_=county["fo"], json=body, headers=headers)
    assert (later.status_code, later.json()) == (200, successes[0].json())
    assert len(paid_events(api, county, case["id"])) == 1
    assert_trail_verifies(api)


def test_a_retried_batch_and_retried_results_return_the_first_result(
    api: Api, backend: Backend, county: County
) -> None:
    fo = county["fo"]
    cases = [approved_case(api, county) for _ in range(2)]
    batch_key = key()
    first = api.post("/payouts/batches", as_=fo, json={}, headers=batch_key)
    assert first.status_code == 201, first.text
    again = api.post("/payouts/batches", as_=fo, json={}, headers=batch_key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    with backend.engine.connect() as connection:
        batches = connection.execute(
            sa.text("SELECT id, line_count FROM payout_batch WHERE county_code = :c"),
            {"c": county.code},
        ).all()
    assert [tuple(row) for row in batches] == [(first.json()["id"], 2)]

    batch = first.json()
    lines = [
        {"reference": line["reference"], "status": "paid", "amount_fen": line["amount_fen"]}
        for line in batch["lines"]
    ]
    path = f"/payouts/batches/{batch['id']}/results"
    results_key = key()
    recorded = api.post(path, as_=fo, json={"lines": lines}, headers=results_key)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["recorded"] == 2
    replayed = api.post(path, as_=fo, json={"lines": lines}, headers=results_key)
    assert (replayed.status_code, replayed.json()) == (200, recorded.json())
    # Without the key the same post changes nothing either, but says so: the lines are done.
    plain = post_results(api, county, batch["id"], lines)
    assert (plain.json()["recorded"], plain.json()["unchanged"]) == (0, 2)
    for case in cases:
        assert api.case(case["id"], as_=county["au"])["status"] == "paid"
        assert len(paid_events(api, county, case["id"])) == 1
    assert_trail_verifies(api)


def test_a_key_reused_for_another_request_is_refused_and_changes_nothing(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    path = f"/tasks/{task['id']}/complete"
    headers = key()
    first = api.post(path, as_="cw.lizhuang", json=APPROVE, headers=headers)
    assert first.status_code == 200, first.text
    after_first = (case_row(backend, case_id), task_rows(backend, case_id))

    other_body = {**APPROVE, "comment": "another comment"}
    refused = api.post(path, as_="cw.lizhuang", json=other_body, headers=headers)
    body = assert_problem(refused, 422, "idempotency-key-reused")
    assert "another request" in body["detail"]
    # The same key on another route (here: the next task) is another request as well.
    next_task = api.task_for(case_id, as_="vh.lizhuang")
    other_route = api.post(
        f"/tasks/{next_task['id']}/complete", as_="cw.lizhuang", json=APPROVE, headers=headers
    )
    assert_problem(other_route, 422, "idempotency-key-reused")

    assert (case_row(backend, case_id), task_rows(backend, case_id)) == after_first
    assert audit_actions(backend, case_id)["task_completed"] == 1
    # The first request itself still replays.
    again = api.post(path, as_="cw.lizhuang", json=APPROVE, headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())


def test_keys_belong_to_their_user(api: Api, backend: Backend, ready_case: dict) -> None:
    case_id = ready_case["id"]
    headers = key()
    mine = api.task_for(case_id, as_="cw.lizhuang")
    first = api.post(
        f"/tasks/{mine['id']}/complete", as_="cw.lizhuang", json=APPROVE, headers=headers
    )
    assert first.status_code == 200, first.text

    # The village head sends the same key for the next task: a request of their own, not a
    # replay of the caseworker's (and not refused as a reuse either).
    theirs = api.task_for(case_id, as_="vh.lizhuang")
    second = api.post(
        f"/tasks/{theirs['id']}/complete", as_="vh.lizhuang", json=APPROVE, headers=headers
    )
    assert second.status_code == 200, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["task"]["id"] == theirs["id"]
    assert second.json() != first.json()
    events = [e for e in api.events(case_id) if e["action"] == "task_completed"]
    assert [(e["actor"], e["task_id"]) for e in events] == [
        ("cw.lizhuang", mine["id"]),
        ("vh.lizhuang", theirs["id"]),
    ]
    with backend.engine.connect() as connection:
        owners = connection.execute(
            sa.text(
                "SELECT u.username FROM idempotency_record r JOIN user_account u"
                " ON u.id = r.user_id WHERE r.key = :k ORDER BY r.id"
            ),
            {"k": headers["Idempotency-Key"]},
        ).scalars()
        assert list(owners) == ["cw.lizhuang", "vh.lizhuang"]


def test_a_refused_request_is_not_recorded_and_its_key_can_run_later(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    path = f"/tasks/{task['id']}/complete"
    headers = key()
    # The village head may not complete the caseworker's task: 403, and nothing recorded …
    assert_problem(api.post(path, as_="vh.lizhuang", json=APPROVE, headers=headers), 403)
    investigated = api.post(path, as_="cw.lizhuang", json=APPROVE, headers=headers)
    assert investigated.status_code == 200, investigated.text
    # … so the village head's key is still free for the request they may make (a record of
    # the 403 would make this a reuse for another route: 422).
    theirs = api.task_for(case_id, as_="vh.lizhuang")
    done = api.post(
        f"/tasks/{theirs['id']}/complete", as_="vh.lizhuang", json=APPROVE, headers=headers
    )
    assert done.status_code == 200, done.text
    assert "idempotent-replayed" not in done.headers


def test_an_overlong_key_is_refused(api: Api, ready_case: dict) -> None:
    task = api.task_for(ready_case["id"], as_="cw.lizhuang")
    response = api.post(
        f"/tasks/{task['id']}/complete",
        as_="cw.lizhuang",
        json=APPROVE,
        headers={"Idempotency-Key": "k" * 201},
    )
    assert_problem(response, 422)
    assert api.task_for(ready_case["id"], as_="cw.lizhuang")["id"] == task["id"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_records_are_kept_for_the_retention_and_then_pruned_by_the_worker(
    kind: str, tmp_path: Path
) -> None:
    """A retry within ``RELIEF_IDEMPOTENCY_RETENTION_HOURS`` gets the first answer; after it,
    ``relief worker`` deletes the record and the retry runs again: a completed task is 409."""
    clock = tmp_path / "clock"
    set_clock(clock, datetime.now(UTC).replace(microsecond=0))
    settings = {"RELIEF_CLOCK_FILE": str(clock), "RELIEF_IDEMPOTENCY_RETENTION_HOURS": "24"}
    with own_server(kind, tmp_path, **settings) as server:
        api = server.api
        assert api is not None
        case = api.submit()
        api.attach_required(case["id"])
        task = api.task_for(case["id"], as_="cw.lizhuang")
        path, headers = f"/tasks/{task['id']}/complete", key()
        first = api.post(path, as_="cw.lizhuang", json=APPROVE, headers=headers)
        assert first.status_code == 200, first.text

        def records() -> int:
            with server.backend.engine.connect() as connection:
                return connection.execute(
                    sa.text("SELECT count(*) FROM idempotency_record WHERE key = :k"),
                    {"k": headers["Idempotency-Key"]},
                ).scalar_one()

        set_clock(clock, datetime.now(UTC) + timedelta(hours=23))
        relief_cli(server.backend.env, "worker", "--once")
        assert records() == 1
        within = api.post(path, as_="cw.lizhuang", json=APPROVE, headers=headers)
        assert within.json() == first.json()
        assert within.headers["idempotent-replayed"] == "true"

        set_clock(clock, datetime.now(UTC) + timedelta(hours=25))
        done = relief_cli(server.backend.env, "worker", "--once")
        assert "idempotency=1" in done.stdout
        assert records() == 0
        after = api.post(path, as_="cw.lizhuang", json=APPROVE, headers=headers)
        assert_problem(after, 409, "stale-task")
