"""The decisions a task offers are its flow's (issue 20), over real HTTP on both databases.

The correction task offers resubmit (approve) and abandon (reject), not "return"; a completion
with a decision the task does not offer, or a reject or return without a reason, is refused
and changes nothing: the task stays ready and the trail gains no event.
"""

from __future__ import annotations

from tests.conftest import Api, Backend
from tests.conftest import assert_problem as problem
from tests.tasks.test_rules import snapshot


def _correction(api: Api, case_id: int) -> dict:
    """Return the case at the village investigation: the caseworker's correction task."""
    investigation = api.task_for(case_id, as_="cw.lizhuang")
    returned = api.decide(investigation["id"], "return", as_="cw.lizhuang", comment="缺户口本")
    assert returned.status_code == 200, returned.text
    task = api.task_for(case_id, as_="cw.lizhuang")
    assert (task["spec"], task["name"], task["name_en"]) == ("correction", "补正材料", "Correction")
    return task


def test_a_decision_the_task_does_not_offer_is_refused_and_changes_nothing(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = _correction(api, case_id)
    before = snapshot(backend, case_id)
    body = problem(api.decide(task["id"], "return", as_="cw.lizhuang", comment="再等等"), 422)
    assert body["code"] == "decision-not-offered"
    assert body["params"] == {"decision": "return", "offered": ["approve", "reject"]}
    assert [error["field"] for error in body["errors"]] == ["decision"]
    assert snapshot(backend, case_id) == before
    [still] = api.get("/tasks", as_="cw.lizhuang", params={"application_id": case_id}).json()
    assert (still["id"], still["status"]) == (task["id"], "ready")


def test_a_reject_without_a_reason_is_refused_and_changes_nothing(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = _correction(api, case_id)
    before = snapshot(backend, case_id)
    for comment in (None, "", "   "):
        body = {"decision": "reject", "comment": comment, "data": {}}
        refused = api.post(f"/tasks/{task['id']}/complete", as_="cw.lizhuang", json=body)
        assert problem(refused, 422)["errors"][0]["code"] == "comment-required"
    assert snapshot(backend, case_id) == before


def test_the_correction_is_resubmitted_to_the_village_investigation(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = _correction(api, case_id)
    done = api.decide(task["id"], "approve", as_="cw.lizhuang")
    assert done.status_code == 200, done.text
    [following] = done.json()["next_tasks"]
    assert (following["spec"], following["name"]) == ("village_investigation", "村调查")
    assert following["name_en"] == "Village investigation"
    assert api.case(case_id)["status"] == "in_progress"


def test_abandoning_the_correction_ends_the_case_rejected(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    task = _correction(api, case_id)
    done = api.decide(task["id"], "reject", as_="cw.lizhuang", comment="申请人放弃申请")
    assert done.status_code == 200, done.text
    assert api.case(case_id)["status"] == "rejected"


def test_the_batch_review_refuses_the_same_way(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    """A batch item goes through the same completion: a reject without a reason is refused
    for the whole request's shape (the schema), before anything is done."""
    case_id = ready_case["id"]
    for user in ("cw.lizhuang", "vh.lizhuang"):
        api.act(case_id, "approve", as_=user)
    task = api.task_for(case_id, as_="tr.dongcheng")
    before = snapshot(backend, case_id)
    item = {"task_id": task["id"], "decision": "reject", "comment": ""}
    refused = api.post("/tasks/bulk-complete", as_="tr.dongcheng", json={"items": [item]})
    assert problem(refused, 422)["errors"][0]["code"] == "comment-required"
    assert snapshot(backend, case_id) == before
