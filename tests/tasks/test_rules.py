"""Who may see, claim and complete which task, over real HTTP as the demo (and extra) users.

Inbox scoping by lane and jurisdiction, 403/404 for the wrong person, separation of duties,
stale completions (409, nothing changed), input validation (422), claims between colleagues,
and the audit trail each of these leaves (or does not leave).
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import VILLAGE_CHAIN, Api, Backend, MakeUser
from tests.conftest import assert_problem as problem
from tests.factories import VILLAGE_LIZHUANG, application

TOWNSHIP_DONGCHENG = "130123100"
TOWNSHIP_XIHE = "130123200"
COUNTY = "130123"
NOBODY_ELSE = (
    "cw.wangzhuang",
    "cw.hekou",
    "vh.hekou",
    "tr.xihe",
    "fo.county",
    "au.county",
    "admin",
)


# --- helpers ---------------------------------------------------------------------------------


def walk(api: Api, case_id: int, steps: int) -> None:
    """Approve the first ``steps`` levels of the chain as the demo users."""
    for user in VILLAGE_CHAIN[:steps]:
        api.act(case_id, "approve", as_=user)


def inbox(api: Api, user: str, case_id: int | None = None) -> list[dict]:
    params = {"application_id": case_id} if case_id is not None else {}
    response = api.get("/tasks", as_=user, params={**params, "limit": 500})
    assert response.status_code == 200, response.text
    return response.json()


def completions(api: Api, case_id: int) -> list[dict]:
    return [e for e in api.events(case_id) if e["action"] == "task_completed"]


def open_tasks(api: Api, case_id: int) -> list[dict]:
    return api.case(case_id)["tasks"]


def snapshot(backend: Backend, case_id: int) -> dict:
    """What the database holds for a case (and the size of the whole trail, apart from the
    ``action_refused`` events that refusals of logged-in users add by design)."""
    with backend.engine.connect() as connection:
        case = connection.execute(
            sa.text("SELECT status, version, workflow_state FROM application WHERE id = :id"),
            {"id": case_id},
        ).one()
        tasks = connection.execute(
            sa.text(
                "SELECT id, spec, status, claimed_by, completed_by, decision FROM task"
                " WHERE application_id = :id ORDER BY id"
            ),
            {"id": case_id},
        ).all()
        events = connection.execute(
            sa.text("SELECT count(*) FROM audit_event WHERE action <> 'action_refused'")
        ).scalar_one()
        all_tasks = connection.execute(sa.text("SELECT count(*) FROM task")).scalar_one()
    return {
        "case": (case.status, case.version, bytes(case.workflow_state)),
        "tasks": [tuple(row) for row in tasks],
        "task_rows": all_tasks,
        "audit_events": events,
    }


# --- the inbox -------------------------------------------------------------------------------


def test_after_submission_only_the_village_caseworker_sees_the_investigation(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    assert task["application_id"] == case_id
    assert task["spec"] == "village_investigation"
    assert task["name"].startswith("村调查")
    assert task["role"] == "caseworker"
    assert task["status"] == "ready"
    assert "due_at" in task

    for user in ("vh.lizhuang", "tr.dongcheng", "ca.county", *NOBODY_ELSE):
        assert inbox(api, user, case_id) == [], user
        assert task["id"] not in {t["id"] for t in inbox(api, user)}, user


def test_after_the_caseworker_approves_the_village_head_sees_the_cosignature(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    walk(api, case_id, 1)
    task = api.task_for(case_id, as_="vh.lizhuang")
    assert task["spec"] == "village_cosign"
    assert task["name"].startswith("村委会主任签字")
    assert task["role"] == "village_head"
    for user in ("cw.lizhuang", "tr.dongcheng", "ca.county", *NOBODY_ELSE):
        assert inbox(api, user, case_id) == [], user


def test_a_township_reviewer_never_sees_another_townships_tasks(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    walk(api, case_id, 2)
    task = api.task_for(case_id, as_="tr.dongcheng")
    assert task["spec"] == "township_review"

    assert inbox(api, "tr.xihe", case_id) == []
    xihe = inbox(api, "tr.xihe")
    assert task["id"] not in {t["id"] for t in xihe}
    assert all(t["village"].startswith(TOWNSHIP_XIHE) for t in xihe), xihe


def test_auditor_and_admin_inboxes_are_empty_while_work_is_open(api: Api, ready_case: dict) -> None:
    assert open_tasks(api, ready_case["id"]), "the case has an open task"
    assert inbox(api, "au.county") == []
    assert inbox(api, "admin") == []


# --- who may complete ------------------------------------------------------------------------


def test_the_village_head_cannot_complete_the_caseworkers_task(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    problem(api.decide(task["id"], "approve", as_="vh.lizhuang"), 403)
    assert [t["id"] for t in open_tasks(api, case_id)] == [task["id"]]
    assert completions(api, case_id) == []


def test_the_county_approver_cannot_complete_a_village_task(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    problem(api.decide(task["id"], "approve", as_="ca.county"), 403)
    walk(api, case_id, 1)
    cosign = api.task_for(case_id, as_="vh.lizhuang")
    problem(api.decide(cosign["id"], "approve", as_="ca.county"), 403)
    assert [t["id"] for t in open_tasks(api, case_id)] == [cosign["id"]]
    assert [e["actor"] for e in completions(api, case_id)] == ["cw.lizhuang"]


@pytest.mark.parametrize("outsider", ["cw.hekou", "cw.wangzhuang"])
def test_a_caseworker_of_another_village_gets_not_found(
    api: Api, ready_case: dict, outsider: str
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    problem(api.decide(task["id"], "approve", as_=outsider), 404, "not-found")
    problem(api.post(f"/tasks/{task['id']}/claim", as_=outsider), 404, "not-found")
    assert open_tasks(api, case_id)[0]["claimed_by"] is None
    assert completions(api, case_id) == []


def test_a_reviewer_of_another_township_gets_not_found(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    walk(api, case_id, 2)
    task = api.task_for(case_id, as_="tr.dongcheng")
    body = problem(api.decide(task["id"], "approve", as_="tr.xihe"), 404, "not-found")
    # The refusal does not reveal the case or its village.
    assert VILLAGE_LIZHUANG not in body["detail"]
    problem(api.post(f"/tasks/{task['id']}/claim", as_="tr.xihe"), 404, "not-found")
    assert [t["id"] for t in open_tasks(api, case_id)] == [task["id"]]
    assert len(completions(api, case_id)) == 2


def test_an_unknown_task_is_not_found(api: Api) -> None:
    missing = 2_000_000_000
    for user in ("cw.lizhuang", "ca.county", "admin"):
        problem(api.decide(missing, "approve", as_=user), 404, "not-found")
    problem(api.post(f"/tasks/{missing}/claim", as_="cw.lizhuang"), 404, "not-found")
    problem(api.post(f"/tasks/{missing}/unclaim", as_="cw.lizhuang"), 404, "not-found")


def test_auditors_and_admins_complete_and_claim_nothing_at_any_level(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    payout = {"bank_reference": "BOC-AUDIT-1"}
    for user in (*VILLAGE_CHAIN, "fo.county"):
        task = api.task_for(case_id, as_=user)
        data = payout if user == "fo.county" else None
        for supervisor in ("au.county", "admin"):
            problem(api.decide(task["id"], "approve", as_=supervisor, data=data), 403)
            problem(api.post(f"/tasks/{task['id']}/claim", as_=supervisor), 403)
        assert api.decide(task["id"], "approve", as_=user, data=data).status_code == 200
    assert api.case(case_id)["status"] == "paid"
    assert [e["actor"] for e in completions(api, case_id)] == [*VILLAGE_CHAIN, "fo.county"]
    claims = [e for e in api.events(case_id) if e["action"] == "task_claimed"]
    assert claims == []


# --- separation of duties --------------------------------------------------------------------


def test_a_user_with_both_village_roles_signs_only_once(
    api: Api, ready_case: dict, make_user: MakeUser
) -> None:
    case_id = ready_case["id"]
    both = make_user(["caseworker", "village_head"], VILLAGE_LIZHUANG)
    assert api.task_for(case_id, as_=both)["spec"] == "village_investigation"
    api.act(case_id, "approve", as_=both)

    cosign = api.task_for(case_id, as_="vh.lizhuang")
    assert cosign["spec"] == "village_cosign"
    assert inbox(api, both, case_id) == []
    assert cosign["id"] not in {t["id"] for t in inbox(api, both)}
    problem(api.decide(cosign["id"], "approve", as_=both), 403, "separation-of-duties")
    problem(api.post(f"/tasks/{cosign['id']}/claim", as_=both), 403, "separation-of-duties")
    assert [e["actor"] for e in completions(api, case_id)] == [both]

    assert api.decide(cosign["id"], "approve", as_="vh.lizhuang").status_code == 200
    assert [e["actor"] for e in completions(api, case_id)] == [both, "vh.lizhuang"]


def test_the_same_user_may_cosign_a_case_someone_else_investigated(
    api: Api, ready_case: dict, make_user: MakeUser
) -> None:
    case_id = ready_case["id"]
    both = make_user(["caseworker", "village_head"], VILLAGE_LIZHUANG)
    walk(api, case_id, 1)
    cosign = api.task_for(case_id, as_=both)
    assert cosign["spec"] == "village_cosign"
    assert api.decide(cosign["id"], "approve", as_=both).status_code == 200
    assert api.task_for(case_id, as_="tr.dongcheng")["spec"] == "township_review"


def test_the_submitter_cannot_verify_their_own_case_at_county_level(
    api: Api, make_user: MakeUser
) -> None:
    submitter = make_user(["county_approver", "caseworker"], COUNTY)
    case_id = api.submit(application(village=VILLAGE_LIZHUANG), as_=submitter)["id"]
    api.attach_required(case_id, as_=submitter)
    walk(api, case_id, 3)

    task = api.task_for(case_id, as_="ca.county")
    assert task["spec"] == "county_verification"
    assert inbox(api, submitter, case_id) == []
    problem(api.decide(task["id"], "approve", as_=submitter), 403, "separation-of-duties")
    assert api.case(case_id)["status"] == "in_progress"
    assert len(completions(api, case_id)) == 3

    assert api.decide(task["id"], "approve", as_="ca.county").json()["status"] == "approved"


def test_one_person_completes_one_level_of_a_case_above_the_village(
    api: Api, ready_case: dict, make_user: MakeUser
) -> None:
    case_id = ready_case["id"]
    reviewer_and_approver = make_user(["township_reviewer", "county_approver"], COUNTY)
    walk(api, case_id, 2)
    api.act(case_id, "approve", as_=reviewer_and_approver)

    task = api.task_for(case_id, as_="ca.county")
    assert task["spec"] == "county_verification"
    assert inbox(api, reviewer_and_approver, case_id) == []
    problem(
        api.decide(task["id"], "approve", as_=reviewer_and_approver),
        403,
        "separation-of-duties",
    )
    assert api.case(case_id)["status"] == "in_progress"
    assert api.decide(task["id"], "approve", as_="ca.county").json()["status"] == "approved"


# --- stale and invalid completions -----------------------------------------------------------


def test_completing_a_completed_task_is_stale_and_changes_nothing(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    assert api.decide(task["id"], "approve", as_="cw.lizhuang").status_code == 200
    before = snapshot(backend, case_id)
    assert before["case"][0] == "in_progress"

    problem(api.decide(task["id"], "approve", as_="cw.lizhuang"), 409, "stale-task")
    problem(api.decide(task["id"], "reject", as_="cw.lizhuang"), 409, "stale-task")
    problem(api.post(f"/tasks/{task['id']}/claim", as_="cw.lizhuang"), 409, "stale-task")

    assert snapshot(backend, case_id) == before
    assert api.case(case_id)["status"] == "in_progress"
    assert len(completions(api, case_id)) == 1


def test_a_task_of_a_rejected_case_cannot_be_completed_again(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    walk(api, case_id, 1)
    cosign = api.task_for(case_id, as_="vh.lizhuang")
    assert api.decide(cosign["id"], "reject", as_="vh.lizhuang").json()["status"] == "rejected"
    before = snapshot(backend, case_id)

    problem(api.decide(cosign["id"], "approve", as_="vh.lizhuang"), 409, "stale-task")
    assert snapshot(backend, case_id) == before
    assert api.case(case_id)["status"] == "rejected"


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "maybe"},
        {"decision": "APPROVE"},
        {"comment": "no decision at all"},
    ],
)
def test_an_unknown_decision_is_refused_naming_the_field(
    api: Api, backend: Backend, ready_case: dict, body: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    before = snapshot(backend, case_id)
    response = api.post(f"/tasks/{task['id']}/complete", as_="cw.lizhuang", json=body)
    refused = problem(response, 422)
    assert "decision" in {error["field"] for error in refused["errors"]}
    assert snapshot(backend, case_id) == before
    assert api.task_for(case_id, as_="cw.lizhuang")["id"] == task["id"]


@pytest.mark.parametrize("data", [{}, {"bank_reference": "   "}, {"bank_reference": None}])
def test_the_payout_needs_the_banks_reference(
    api: Api, backend: Backend, ready_case: dict, data: dict
) -> None:
    case_id = ready_case["id"]
    walk(api, case_id, 4)
    task = api.task_for(case_id, as_="fo.county")
    assert task["spec"] == "card_payout"
    before = snapshot(backend, case_id)

    refused = problem(api.decide(task["id"], "approve", as_="fo.county", data=data), 422)
    assert "data.bank_reference" in {error["field"] for error in refused["errors"]}
    assert snapshot(backend, case_id) == before
    detail = api.case(case_id)
    assert detail["status"] == "approved"
    assert detail["payout"]["status"] == "pending"

    paid = api.decide(task["id"], "approve", as_="fo.county", data={"bank_reference": "ICBC-77"})
    assert paid.json()["status"] == "paid"


# --- claims ----------------------------------------------------------------------------------


@pytest.fixture
def township_task(api: Api, ready_case: dict) -> dict:
    """A case waiting for 东城镇's review; returns that task as tr.dongcheng sees it."""
    walk(api, ready_case["id"], 2)
    return api.task_for(ready_case["id"], as_="tr.dongcheng")


def test_a_claimed_task_is_marked_and_colleagues_cannot_take_or_complete_it(
    api: Api, backend: Backend, township_task: dict, make_user: MakeUser
) -> None:
    case_id, task_id = township_task["application_id"], township_task["id"]
    colleague = make_user(["township_reviewer"], TOWNSHIP_DONGCHENG)
    assert api.task_for(case_id, as_=colleague)["id"] == task_id

    claimed = api.post(f"/tasks/{task_id}/claim", as_="tr.dongcheng")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["claimed_by"] == "tr.dongcheng"
    assert api.task_for(case_id, as_="tr.dongcheng")["claimed_by"] == "tr.dongcheng"
    assert open_tasks(api, case_id)[0]["claimed_by"] == "tr.dongcheng"
    assert inbox(api, colleague, case_id) == []

    before = snapshot(backend, case_id)
    problem(api.post(f"/tasks/{task_id}/claim", as_=colleague), 409)
    problem(api.decide(task_id, "approve", as_=colleague), 409)
    problem(api.decide(task_id, "reject", as_=colleague), 409)
    assert snapshot(backend, case_id) == before

    assert api.decide(task_id, "approve", as_="tr.dongcheng").status_code == 200
    assert completions(api, case_id)[-1]["actor"] == "tr.dongcheng"


def test_only_the_claimer_can_release_a_claim_and_then_a_colleague_may_take_it(
    api: Api, township_task: dict, make_user: MakeUser
) -> None:
    case_id, task_id = township_task["application_id"], township_task["id"]
    colleague = make_user(["township_reviewer"], TOWNSHIP_DONGCHENG)
    assert api.post(f"/tasks/{task_id}/claim", as_="tr.dongcheng").status_code == 200

    problem(api.post(f"/tasks/{task_id}/unclaim", as_=colleague), 409)
    assert open_tasks(api, case_id)[0]["claimed_by"] == "tr.dongcheng"

    released = api.post(f"/tasks/{task_id}/unclaim", as_="tr.dongcheng")
    assert released.status_code == 200, released.text
    assert released.json()["claimed_by"] is None
    assert open_tasks(api, case_id)[0]["claimed_by"] is None
    assert api.task_for(case_id, as_=colleague)["id"] == task_id

    taken = api.post(f"/tasks/{task_id}/claim", as_=colleague)
    assert taken.status_code == 200, taken.text
    assert taken.json()["claimed_by"] == colleague
    problem(api.decide(task_id, "approve", as_="tr.dongcheng"), 409)
    problem(api.post(f"/tasks/{task_id}/unclaim", as_="tr.dongcheng"), 409)
    assert api.decide(task_id, "approve", as_=colleague).status_code == 200
    assert completions(api, case_id)[-1]["actor"] == colleague


def test_county_approvers_claims_keep_a_colleague_out(
    api: Api, ready_case: dict, make_user: MakeUser
) -> None:
    case_id = ready_case["id"]
    walk(api, case_id, 3)
    colleague = make_user(["county_approver"], COUNTY)
    task = api.task_for(case_id, as_=colleague)
    assert api.post(f"/tasks/{task['id']}/claim", as_=colleague).status_code == 200
    assert inbox(api, "ca.county", case_id) == []
    problem(api.post(f"/tasks/{task['id']}/claim", as_="ca.county"), 409)
    problem(api.decide(task["id"], "approve", as_="ca.county"), 409)
    assert api.case(case_id)["status"] == "in_progress"


def test_claims_and_releases_are_audited(
    api: Api, township_task: dict, make_user: MakeUser
) -> None:
    case_id, task_id = township_task["application_id"], township_task["id"]
    colleague = make_user(["township_reviewer"], TOWNSHIP_DONGCHENG)
    assert api.post(f"/tasks/{task_id}/claim", as_="tr.dongcheng").status_code == 200
    problem(api.post(f"/tasks/{task_id}/claim", as_=colleague), 409)
    assert api.post(f"/tasks/{task_id}/unclaim", as_="tr.dongcheng").status_code == 200
    assert api.post(f"/tasks/{task_id}/claim", as_=colleague).status_code == 200

    trail = [
        (e["action"], e["actor"], e["role"], e["task_id"])
        for e in api.events(case_id)
        if e["action"] in ("task_claimed", "task_unclaimed")
    ]
    assert trail == [
        ("task_claimed", "tr.dongcheng", "township_reviewer", task_id),
        ("task_unclaimed", "tr.dongcheng", "township_reviewer", task_id),
        ("task_claimed", colleague, "township_reviewer", task_id),
    ]
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


def test_claims_are_refused_to_other_roles_and_on_finished_tasks(
    api: Api, township_task: dict
) -> None:
    case_id, task_id = township_task["application_id"], township_task["id"]
    problem(api.post(f"/tasks/{task_id}/claim", as_="vh.lizhuang"), 403)
    problem(api.post(f"/tasks/{task_id}/claim", as_="ca.county"), 403)
    assert open_tasks(api, case_id)[0]["claimed_by"] is None

    assert api.decide(task_id, "approve", as_="tr.dongcheng").status_code == 200
    problem(api.post(f"/tasks/{task_id}/claim", as_="tr.dongcheng"), 409, "stale-task")
    problem(api.post(f"/tasks/{task_id}/unclaim", as_="tr.dongcheng"), 409, "stale-task")
    assert not [e for e in api.events(case_id) if e["action"].startswith("task_claim")]


# --- the audit trail -------------------------------------------------------------------------


def test_each_completion_is_audited_with_actor_role_statuses_and_comment(
    api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    marker = uuid.uuid4().hex[:8]
    steps = [
        ("cw.lizhuang", "caseworker", "in_progress", None),
        ("vh.lizhuang", "village_head", "in_progress", None),
        ("tr.dongcheng", "township_reviewer", "in_progress", None),
        ("ca.county", "county_approver", "approved", None),
        ("fo.county", "finance_officer", "paid", {"bank_reference": "ABC-" + marker}),
    ]
    task_ids = []
    for user, _role, status, data in steps:
        task = api.task_for(case_id, as_=user)
        task_ids.append(task["id"])
        done = api.decide(task["id"], "approve", as_=user, comment=f"{user} {marker}", data=data)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == status

    events = completions(api, case_id)
    assert [(e["actor"], e["role"], e["task_id"]) for e in events] == [
        (user, role, task_id) for (user, role, _s, _d), task_id in zip(steps, task_ids, strict=True)
    ]
    assert [e["comment"] for e in events] == [f"{user} {marker}" for user, *_ in steps]
    assert [e["before"]["status"] for e in events] == [
        "in_progress",
        "in_progress",
        "in_progress",
        "in_progress",
        "approved",
    ]
    assert [e["after"]["status"] for e in events] == [status for _u, _r, status, _d in steps]
    assert all(e["region"] == VILLAGE_LIZHUANG for e in events)
    assert all(e["after"]["decision"] == "approve" for e in events)

    report = api.get("/audit/verify", as_="au.county")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["ok"] is True
    assert body["events"] >= len(api.events(case_id)) > 0
    assert body["first_broken"] is None


def test_refused_completions_change_nothing_and_leave_only_a_refusal_in_the_trail(
    api: Api, backend: Backend, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    before = snapshot(backend, case_id)
    problem(api.decide(task["id"], "approve", as_="vh.lizhuang"), 403)
    problem(api.decide(task["id"], "approve", as_="admin"), 403)
    problem(api.decide(task["id"], "approve", as_="cw.hekou"), 404)
    problem(api.decide(task["id"], "maybe", as_="cw.lizhuang"), 422)
    assert snapshot(backend, case_id) == before
    # Each 403 is one action_refused event of the case; the 404 and the 422 are none.
    refused = [e for e in api.events(case_id) if e["action"] == "action_refused"]
    assert [(e["actor"], e["after"]["status"]) for e in refused] == [
        ("vh.lizhuang", 403),
        ("admin", 403),
    ]
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"x": {"typename": "NoSuchType"}}, "data.x"),  # would poison the stored workflow state
        ({"typename": "NoSuchType"}, "data"),
        ({"decision": "approve"}, "data"),  # cannot override the decision itself
        ({"Bank Reference": "B1"}, "data"),
        ({"amount": 2**64}, "data"),
        ({"refs": ["a", "b"]}, "data.refs"),
    ],
    ids=["nested-typename", "typename", "decision", "odd-key", "huge-int", "list"],
)
def test_task_data_is_a_flat_record_of_plain_values(
    api: Api, backend: Backend, ready_case: dict, data: dict, field: str
) -> None:
    case_id = ready_case["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    before = snapshot(backend, case_id)
    body = problem(api.decide(task["id"], "approve", as_="cw.lizhuang", data=data), 422)
    assert any(error["field"].startswith(field) for error in body["errors"]), body["errors"]
    assert snapshot(backend, case_id) == before
    # The case is not frozen: the same task still completes (it declares no data).
    done = api.decide(task["id"], "approve", as_="cw.lizhuang")
    assert done.status_code == 200, done.text
