"""Batch review 集中申报复核: many decisions in one request, each with its own result."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.fresh_county import County, advance, make_county, submit_ready

PROBLEM = "urn:relief:problem:"


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def at_township(api: Api, county: County, *, village: int = 1) -> tuple[int, int]:
    """A case waiting on the township's review: (case id, township task id)."""
    case, task_id = submit_ready(api, county, village=village)
    task = advance(api, county, task_id, levels=2, village=village)
    assert task is not None
    return case["id"], task["id"]


def bulk(api: Api, user: str, items: list[dict]):
    return api.post("/tasks/bulk-complete", as_=user, json={"items": items})


def count(backend: Backend, sql: str, **params: object) -> int:
    with backend.engine.connect() as connection:
        return int(connection.execute(sa.text(sql), params).scalar_one())


def test_a_bulk_review_of_200_tasks_reports_each_item(
    api: Api, backend: Backend, county: County, record_property: Callable[[str, object], None]
) -> None:
    started = time.perf_counter()
    cases = [at_township(api, county) for _ in range(199)]
    elsewhere_case, elsewhere = at_township(api, county, village=3)  # another township's
    record_property("setup_seconds", round(time.perf_counter() - started, 1))
    tr = county["tr"]
    # One task is completed on its own first: in the bulk it is stale.
    stale_case, stale = cases[0]
    assert api.decide(stale, "approve", as_=tr).status_code == 200
    items = [{"task_id": stale, "decision": "approve"}]
    items += [
        {"task_id": task_id, "decision": "approve", "comment": f"集中复核 {n}"}
        for n, (_, task_id) in enumerate(cases[1:-2], start=1)
    ]
    returned_case, returned = cases[-2]
    rejected_case, rejected = cases[-1]
    items += [
        {"task_id": returned, "decision": "return", "comment": "补充家庭收入证明"},
        {"task_id": rejected, "decision": "reject", "comment": "不符合条件"},
        {"task_id": elsewhere, "decision": "approve"},
    ]
    assert len(items) == 200
    events_before = count(
        backend, "SELECT count(*) FROM audit_event WHERE county = :c", c=county.code
    )

    started = time.perf_counter()
    response = bulk(api, tr, items)
    elapsed = time.perf_counter() - started
    record_property("bulk_200_seconds", round(elapsed, 2))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["done"], result["refused"]) == (198, 2)
    by_task = {item["task_id"]: item for item in result["items"]}
    assert [item["task_id"] for item in result["items"]] == [item["task_id"] for item in items]
    assert by_task[stale]["result"] == "refused"
    assert by_task[stale]["problem"]["type"] == PROBLEM + "stale-task"
    assert by_task[stale]["problem"]["status"] == 409
    assert by_task[elsewhere]["problem"] == {
        "status": 404,
        "type": PROBLEM + "not-found",
        "code": "task-not-found",
        "params": {"task_id": elsewhere},
        "detail": by_task[elsewhere]["problem"]["detail"],
    }
    assert by_task[returned] == {
        "task_id": returned, "result": "done", "status": "returned", "problem": None
    }  # fmt: skip
    assert by_task[rejected]["status"] == "rejected"
    done = [item for item in result["items"] if item["result"] == "done"]
    assert {item["status"] for item in done[:-2]} == {"in_progress"}
    # Refused items changed nothing: the stale case moved once, the other township's not at all.
    assert api.task_for(elsewhere_case, as_=county["tr2"])["id"] == elsewhere
    assert api.case(stale_case, as_=county["au"])["status"] == "in_progress"
    assert api.case(returned_case, as_=county["au"])["status"] == "returned"
    assert api.case(rejected_case, as_=county["au"])["status"] == "rejected"
    # Every completion is in the county inbox and in the trail, as if done one by one.
    waiting = count(
        backend,
        "SELECT count(*) FROM task WHERE role = 'county_approver' AND status = 'ready'"
        " AND village_code LIKE :v",
        v=county.code + "%",
    )
    assert waiting == 1 + 196  # the single completion and the bulk approvals
    completed = count(
        backend,
        "SELECT count(*) FROM audit_event WHERE county = :c AND action = 'task_completed'"
        " AND actor = :a",
        c=county.code,
        a=tr,
    )
    assert completed == 1 + 198
    assert count(backend, "SELECT count(*) FROM audit_event WHERE county = :c", c=county.code) > (
        events_before + 198
    )
    summary = api.get(
        "/audit/events", as_=county["au"], params={"action": "tasks_bulk_completed", "actor": tr}
    ).json()["items"]
    assert [event["after"] for event in summary] == [
        {"items": 200, "done": 198, "refused": [stale, elsewhere]}
    ]
    assert api.get("/audit/verify", as_=county["au"]).json()["ok"] is True

    # The county verifies in bulk too: approved cases owe their payouts.
    county_tasks = [api.task_for(case_id, as_=county["ca"])["id"] for case_id, _ in cases[1:11]]
    verified = bulk(
        api, county["ca"], [{"task_id": t, "decision": "approve"} for t in county_tasks]
    )
    assert verified.status_code == 200, verified.text
    assert {item["status"] for item in verified.json()["items"]} == {"approved"}
    pending = api.get("/payouts", as_=county["fo"], params={"status": "pending"}).json()["items"]
    assert len(pending) == 10


def test_every_rule_of_a_single_completion_holds_per_item(
    api: Api, county: County, make_user: MakeUser
) -> None:
    # One person holding two levels may complete one of them only (separation of duties).
    both = make_user(["township_reviewer", "county_approver"], county.code)
    case_id, township_task = at_township(api, county)
    first = bulk(api, both, [{"task_id": township_task, "decision": "approve"}]).json()
    assert first["items"][0]["status"] == "in_progress"
    county_task_id = api.task_for(case_id, as_=county["ca"])["id"]
    second = bulk(api, both, [{"task_id": county_task_id, "decision": "approve"}]).json()
    assert second["items"][0]["result"] == "refused"
    assert second["items"][0]["problem"]["type"] == PROBLEM + "separation-of-duties"
    # Village-level tasks are not for bulk completion, and not the county's to do anyway.
    village_case, village_task = submit_ready(api, county)
    refused = bulk(api, county["ca"], [{"task_id": village_task, "decision": "approve"}]).json()
    assert refused["items"][0]["problem"]["status"] == 403
    assert api.case(village_case["id"], as_=county["au"])["status"] == "in_progress"
    # The decisions are checked as a single completion's: one bad item refuses the request.
    bad = bulk(api, county["tr"], [{"task_id": township_task, "decision": "maybe"}])
    assert_problem(bad, 422, "invalid-input")


def test_who_may_review_in_bulk_and_what_a_request_may_hold(api: Api, county: County) -> None:
    _, task_id = at_township(api, county)
    item = {"task_id": task_id, "decision": "approve"}
    for user in (county["cw"], county["vh"], county["fo"], county["au"], county["admin"]):
        assert_problem(bulk(api, user, [item]), 403, "forbidden")
    assert_problem(bulk(api, None, [item]), 401)  # type: ignore[arg-type]
    assert_problem(bulk(api, county["tr"], []), 422, "invalid-input")
    too_many = [{"task_id": n, "decision": "approve"} for n in range(1, 502)]
    assert_problem(bulk(api, county["tr"], too_many), 422, "invalid-input")
    assert_problem(bulk(api, county["tr"], [item, item]), 422, "invalid-input")
    # None of the refusals above touched the task.
    assert api.task_for(_case_of(api, county, task_id), as_=county["tr"])["id"] == task_id


def _case_of(api: Api, county: County, task_id: int) -> int:
    inbox = api.get("/tasks", as_=county["tr"], params={"limit": 500}).json()
    return next(task["application_id"] for task in inbox if task["id"] == task_id)
