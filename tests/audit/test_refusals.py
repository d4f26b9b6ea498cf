"""Every 403 and 409 answered to a logged-in user is an ``action_refused`` event: one per
refusal, with what was tried; none for 401, 404 and 422. Auditors read them; the case's working
timeline does not show them."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from service.auth.dependencies import CALLER_SCOPE_KEY
from service.auth.models import User
from service.http import refusals
from tests.audit.trail import read_all
from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.fresh_county import County, approve, make_county, submit_ready

COMPLETE = "/api/v1/tasks/{task_id}/complete"


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def refusals_of(api: Api, county: County, case_id: int) -> list[dict]:
    return read_all(
        api, as_=county["au"], application_id=case_id, action="action_refused", limit=1000
    )


def test_a_separation_of_duties_refusal_is_one_event(
    api: Api, county: County, make_user: MakeUser
) -> None:
    both = make_user(["caseworker", "village_head"], county.village(1))
    case, task_id = submit_ready(api, county, body=None)
    cosign = approve(api, task_id, as_=both)["next_tasks"][0]

    assert_problem(api.decide(cosign["id"], "approve", as_=both), 403, "separation-of-duties")

    [event] = refusals_of(api, county, case["id"])
    assert event["actor"] == both
    assert event["role"] == "caseworker,village_head"
    assert event["region"] == county.village(1)
    assert event["application_id"] == case["id"]
    assert event["task_id"] == cosign["id"]
    assert event["after"] == {
        "method": "POST",
        "route": COMPLETE,
        "status": 403,
        "type": "separation-of-duties",
        "code": "sod-one-level",
        "detail": event["after"]["detail"],
        "roles": ["caseworker", "village_head"],
    }
    assert event["after"]["detail"]
    assert event["request_id"]


def test_a_stale_completion_is_one_event(api: Api, county: County) -> None:
    case, task_id = submit_ready(api, county)
    approve(api, task_id, as_=county["cw"])

    assert_problem(api.decide(task_id, "approve", as_=county["cw"]), 409, "stale-task")

    [event] = refusals_of(api, county, case["id"])
    assert (event["actor"], event["role"], event["task_id"]) == (
        county["cw"],
        "caseworker",
        task_id,
    )
    assert (event["after"]["status"], event["after"]["type"]) == (409, "stale-task")
    assert event["after"]["route"] == COMPLETE


def test_each_refusal_counts_and_nothing_else_does(api: Api, county: County) -> None:
    case, task_id = submit_ready(api, county)
    assert_problem(api.decide(task_id, "approve", as_=county["vh"]), 403, "forbidden")
    assert_problem(api.decide(task_id, "approve", as_=county["au"]), 403)
    # Not recorded: not logged in (401), outside the jurisdiction (404), invalid input (422).
    assert api.decide(task_id, "approve", as_=None).status_code == 401
    assert_problem(api.decide(task_id, "approve", as_=county["cw3"]), 404)
    assert_problem(api.decide(task_id, "maybe", as_=county["cw"]), 422)

    events = refusals_of(api, county, case["id"])
    assert [(e["actor"], e["after"]["status"]) for e in events] == [
        (county["vh"], 403),
        (county["au"], 403),
    ]
    # Auditors see them in the case's trail; the case's working timeline does not show them.
    trail = api.get(f"/audit/cases/{case['id']}", as_=county["au"]).json()["items"]
    assert [e["id"] for e in trail if e["action"] == "action_refused"] == [e["id"] for e in events]
    timeline = api.case(case["id"], as_=county["au"])["timeline"]
    assert "action_refused" not in {entry["action"] for entry in timeline}
    # Another county's auditor sees none of them.
    assert read_all(api, as_="au.county", action="action_refused", actor=county["vh"]) == []


def test_a_refusal_outside_any_case_names_the_route(api: Api, county: County) -> None:
    assert_problem(api.get("/audit/events", as_=county["cw"]), 403, "forbidden")
    events = read_all(api, as_=county["au"], action="action_refused", actor=county["cw"])
    [event] = events
    assert event["application_id"] is None
    assert event["region"] == county.village(1)
    assert (event["after"]["method"], event["after"]["route"]) == ("GET", "/api/v1/audit/events")


def test_a_refusal_on_a_case_of_another_county_stays_in_the_callers_chain(
    api: Api, county: County
) -> None:
    case, _ = submit_ready(api, county)
    # A role gate answers before the case is looked up: the caller's own region is recorded.
    response = api.post(
        f"/audit/cases/{case['id']}/reveal", as_="cw.lizhuang", json={"reason": "想看看号码"}
    )
    assert_problem(response, 403)
    assert refusals_of(api, county, case["id"]) == []
    [event] = read_all(api, as_="au.county", action="action_refused", application_id=case["id"])
    assert (event["county"], event["region"]) == ("130123", "130123100201")


def _request(user: User | None) -> Request:
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": [], "path_params": {}}
    if user is not None:
        scope[CALLER_SCOPE_KEY] = user
    return Request(scope)


async def test_a_failure_to_record_never_changes_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def broken() -> None:
        calls.append("write")
        raise RuntimeError("database gone")

    monkeypatch.setattr(refusals, "get_database", broken)
    user = User(username="someone", full_name="某人", password_hash="-", roles=["caseworker"],
                jurisdiction="130123100201")  # fmt: skip
    # Logged the failure, raised nothing; and 404 or anonymous callers are not even tried.
    await refusals.record(
        _request(user), status=403, type_="forbidden", code="forbidden", detail="no"
    )
    await refusals.record(
        _request(user), status=404, type_="not-found", code="not-found", detail="no"
    )
    await refusals.record(
        _request(None), status=403, type_="forbidden", code="forbidden", detail="no"
    )
    assert calls == ["write"]
