"""Every operation × every role: the gate answers as the documented rules say.

The expected table is ``tests.attack.rules.ACCESS`` (the README's and DESIGN.md's route
table). Each role is a user of a county of its own whose jurisdiction covers every object the
requests name, so a 403 can only come from the role. Routes whose role depends on the object
(a task's lane) are checked on real tasks, one of each lane of the chain.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.attack.rules import (
    ACCESS,
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_KEY,
    FINANCE_OFFICER,
    ROLES,
    TOWNSHIP_REVIEWER,
    VILLAGE_HEAD,
    documented_operations,
)
from tests.conftest import Api, Backend, MakeUser, Server, assert_problem
from tests.fresh_county import County, make_county, submit_ready

ABSENT_ID = "2147483000"  # in range; no such row
PATH_VALUES = {"code": "emergency_consolation", "key": "emergency_consolation", "name": "x.dmn"}


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def test_the_rule_table_names_every_documented_operation(server: Server) -> None:
    documented = set(documented_operations(server.url))
    assert documented - set(ACCESS) == set(), "operations without a rule in tests/attack/rules.py"
    assert set(ACCESS) - documented == set(), "rules of operations the service no longer has"


def _probe(api: Api, method: str, template: str, user: str, county: County) -> httpx.Response:
    """A request that passes validation of the path and query (the body may be incomplete:
    the role gate answers before the body is looked at)."""
    path = re.sub(
        r"\{([^}]+)\}", lambda m: PATH_VALUES.get(m.group(1), ABSENT_ID), template
    ).removeprefix("/api/v1")
    params = {}
    if path == "/rosters/township.xlsx":
        params = {"township": county.township, "program": "emergency_consolation", "year": 2026}
    headers = api.headers(user)
    body = {} if method in ("POST", "PATCH") else None
    return api.client.request(method, path, headers=headers, params=params, json=body)


def test_each_role_gate_lets_through_exactly_the_documented_roles(
    api: Api, server: Server, county: County
) -> None:
    wrong: list[str] = []
    for (method, template), rule in sorted(ACCESS.items()):
        if not rule.roles or rule.by_object:
            continue  # public, or checked against real tasks below
        for role in ROLES:
            response = _probe(api, method, template, county[COUNTY_KEY[role]], county)
            allowed = role in rule.roles
            if allowed and (response.status_code in (401, 403) or response.status_code >= 500):
                wrong.append(f"{role} refused {method} {template}: {response.status_code}")
            elif not allowed:
                if response.status_code != 403:
                    wrong.append(f"{role} let through {method} {template}: {response.status_code}")
                else:
                    assert_problem(response, 403, "forbidden")
    assert not wrong, "\n".join(wrong)


def test_public_operations_need_no_token_and_the_others_do(api: Api, server: Server) -> None:
    for (method, template), rule in ACCESS.items():
        path = re.sub(r"\{([^}]+)\}", lambda m: PATH_VALUES.get(m.group(1), ABSENT_ID), template)
        response = api.client.request(
            method, server.url + path, json={} if method != "GET" else None
        )
        if rule.roles:
            assert_problem(response, 401, "not-authenticated")
        else:
            assert response.status_code != 401, (method, template)


TASK_ACTIONS = ("claim", "unclaim", "complete")


def test_only_the_lane_role_may_claim_release_or_complete_a_task(api: Api, county: County) -> None:
    """Walk one case through every lane; at each task every other role gets 403 on every
    task action, then the lane's user claims, releases and completes it."""
    task_routes = {p for (m, p), rule in ACCESS.items() if rule.by_object}
    assert task_routes == {f"/api/v1/tasks/{{task_id}}/{action}" for action in TASK_ACTIONS}
    lanes = (CASEWORKER, VILLAGE_HEAD, TOWNSHIP_REVIEWER, COUNTY_APPROVER, FINANCE_OFFICER)
    case, task_id = submit_ready(api, county)
    wrong: list[str] = []
    for lane in lanes:
        for role in ROLES:
            if role == lane:
                continue
            for action in TASK_ACTIONS:
                body = {"decision": "approve"} if action == "complete" else None
                response = api.post(
                    f"/tasks/{task_id}/{action}", as_=county[COUNTY_KEY[role]], json=body
                )
                if response.status_code != 403:
                    wrong.append(f"{role} {action} {lane} task: {response.status_code}")
        actor = county[COUNTY_KEY[lane]]
        assert api.post(f"/tasks/{task_id}/claim", as_=actor).status_code == 200
        assert api.post(f"/tasks/{task_id}/unclaim", as_=actor).status_code == 200
        data = {"bank_reference": "ROLE-1"} if lane == FINANCE_OFFICER else None
        done = api.decide(task_id, "approve", as_=actor, data=data)
        assert done.status_code == 200, done.text
        following = done.json()["next_tasks"]
        assert [t["role"] for t in following] == (
            [] if lane == FINANCE_OFFICER else [lanes[lanes.index(lane) + 1]]
        )
        task_id = following[0]["id"] if following else 0
    assert not wrong, "\n".join(wrong)
    assert api.case(case["id"], as_=county["au"])["status"] == "paid"
