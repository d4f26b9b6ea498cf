"""Who may record and decide a life event, and what is refused: each refusal a coded problem
that changes nothing (no event, no document, no trail entry but the refusal's own)."""

from __future__ import annotations

import pytest

from tests.conftest import Api, MakeUser, assert_problem
from tests.life_events.helpers import decide, record, recorded
from tests.programs.test_special_assistance import enrol, special
from tests.recoveries.helpers import state


def _trail(api: Api, case_id: int) -> list[str]:
    return [e["action"] for e in api.events(case_id) if e["action"] != "action_refused"]


def test_the_recorder_cannot_confirm_their_own_event(api: Api, make_user: MakeUser) -> None:
    case_id = enrol(api)["id"]
    both = make_user(["caseworker", "county_approver"], "130123")
    event = recorded(api, case_id, as_=both)
    refused = decide(api, event["id"], "confirm", as_=both)
    problem = assert_problem(refused, 403, "separation-of-duties")
    assert problem["code"] == "life-event-own-record"
    assert api.get(f"/life-events/{event['id']}", as_="au.county").json()["status"] == "pending"
    assert decide(api, event["id"], "confirm").status_code == 200  # another approver may


def test_roles_and_jurisdiction_are_checked_on_every_route(api: Api) -> None:
    case_id = enrol(api)["id"]
    # A caseworker of another village does not see the case at all.
    outside = record(api, case_id, as_="cw.hekou")
    assert_problem(outside, 404, "not-found")
    assert outside.json()["code"] == "case-not-found"
    # Only a caseworker records, only a county approver decides.
    assert record(api, case_id, as_="vh.lizhuang").json()["code"] == "case-role-required"
    assert record(api, case_id, as_="ca.county").status_code == 403
    event = recorded(api, case_id)
    for user in ("cw.lizhuang", "tr.dongcheng", "fo.county", "au.county"):
        assert_problem(decide(api, event["id"], "confirm", as_=user), 403)
    # Reads: the event's village and those above it see it; another village or township does not.
    assert api.get(f"/life-events/{event['id']}", as_="vh.lizhuang").status_code == 200
    assert api.get(f"/life-events/{event['id']}", as_="tr.dongcheng").status_code == 200
    for user in ("cw.hekou", "tr.xihe"):
        hidden = api.get(f"/life-events/{event['id']}", as_=user)
        assert_problem(hidden, 404, "not-found")
        assert hidden.json()["code"] == "life-event-not-found"
        listed = api.get("/life-events", as_=user, params={"application_id": case_id})
        assert listed.json() == []
        outcomes = api.get(
            "/life-events/review-outcomes", as_=user, params={"application_id": case_id}
        )
        assert_problem(outcomes, 404, "not-found")
    assert_problem(api.get("/life-events/99999999", as_="ca.county"), 404, "not-found")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": "divorce"}, "life-event-kind-unknown"),
        ({"person": None}, "life-event-person-required"),
        ({"person": "child"}, "life-event-person-required"),
        ({"event_date": "2099-01-01"}, "life-event-date-in-future"),
        ({"evidence": ("note.txt", b"just text", "text/plain")}, "document-type-unsupported"),
        ({"evidence": None}, "missing"),
        ({"event_date": "2025-02-30"}, "date_from_datetime_parsing"),
    ],
)
def test_bad_input_is_refused_with_its_code_and_changes_nothing(
    api: Api, backend: object, fields: dict, code: str
) -> None:
    case_id = enrol(api)["id"]
    before = state(backend, case_id)  # type: ignore[arg-type]
    refused = record(api, case_id, **fields)
    problem = assert_problem(refused, 422)
    codes = {problem["code"], *(error["code"] for error in problem.get("errors", []))}
    assert code in codes, problem
    assert state(backend, case_id) == before  # type: ignore[arg-type]
    assert api.get("/life-events", as_="ca.county", params={"application_id": case_id}).json() == []


def test_a_spouse_s_death_on_a_case_without_a_spouse_is_refused(api: Api) -> None:
    case_id = enrol(api, spouse=False)["id"]
    refused = record(api, case_id, person="spouse")
    assert assert_problem(refused, 422)["code"] == "life-event-no-spouse"


def test_only_an_enrolled_case_takes_a_life_event(api: Api) -> None:
    case = api.submit(special())
    refused = record(api, case["id"])
    problem = assert_problem(refused, 409, "conflict")
    assert problem["code"] == "life-event-case-not-enrolled"
    assert problem["params"]["status"] == "in_progress"


def test_one_event_waits_for_the_county_at_a_time_and_a_decision_is_final(api: Api) -> None:
    case_id = enrol(api)["id"]
    first = recorded(api, case_id)
    second = record(api, case_id, kind="moved_away", person=None)
    assert assert_problem(second, 409, "conflict")["code"] == "life-event-pending-exists"

    no_reason = decide(api, first["id"], "reject")
    assert assert_problem(no_reason, 422)["code"] == "life-event-reason-required"
    trail = _trail(api, case_id)
    rejected = decide(api, first["id"], "reject", comment="死亡证明与身份证号不符")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert _trail(api, case_id) == [*trail, "life_event_rejected"]
    assert api.case(case_id)["eligible_parents"] == 2  # nothing about the payments changed
    late = decide(api, first["id"], "confirm")
    assert assert_problem(late, 409, "conflict")["code"] == "life-event-decided"

    # Rejected, the household may be recorded again (with the right evidence).
    again = recorded(api, case_id)
    assert decide(api, again["id"], "confirm").status_code == 200
    dead_twice = record(api, case_id)
    assert assert_problem(dead_twice, 409, "conflict")["code"] == "life-event-already-dead"
