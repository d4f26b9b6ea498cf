"""Administrators manage the people of their county: create, deactivate and reactivate, change
roles, move, reset a password; each change audited, with its refusals."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser, assert_problem, relief_cli
from tests.fresh_county import County, make_county, submit_ready

NEW_PASSWORD = "quiet harbour lamps at nine"
WHY = "调岗：到王庄村工作"


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def _login(api: Api, username: str, password: str) -> httpx.Response:
    return api.client.post("/auth/token", data={"username": username, "password": password})


def _bearer(api: Api, username: str, password: str) -> dict[str, str]:
    response = _login(api, username, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _trail(api: Api, county: County, action: str, username: str) -> list[dict]:
    """The county's events of ``action`` that name ``username``, as its auditor reads them."""
    events = api.get(
        "/audit/events", as_=county["au"], params={"action": action, "limit": 1000}
    ).json()["items"]
    return [e for e in events if username in json.dumps([e["before"], e["after"]])]


def _create(api: Api, county: County, *, roles: list[str], region: str) -> dict:
    username = f"t.new.{uuid.uuid4().hex[:8]}"
    response = api.post(
        "/people",
        as_=county["admin"],
        json={"username": username, "full_name": "张晓红", "roles": roles, "jurisdiction": region},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_created_user_logs_in_with_the_one_time_password_and_must_change_it_first(
    api: Api, county: County
) -> None:
    created = _create(api, county, roles=["caseworker"], region=county.village(1))
    username, password = created["person"]["username"], created["one_time_password"]
    assert created["person"]["must_change_password"] is True
    headers = _bearer(api, username, password)

    me = api.client.get("/auth/me", headers=headers).json()
    assert me["must_change_password"] is True
    refused = api.client.get("/tasks", headers=headers)
    assert assert_problem(refused, 403)["code"] == "password-change-required"

    changed = api.client.post(
        "/auth/password",
        headers=headers,
        json={"current_password": password, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    fresh = _bearer(api, username, NEW_PASSWORD)
    assert api.client.get("/tasks", headers=fresh).status_code == 200
    # The trail has who created whom, with roles and region; never the password.
    event = _trail(api, county, "user_created", username)[0]
    assert event["actor"] == county["admin"]
    assert event["after"]["roles"] == ["caseworker"]
    assert event["after"]["jurisdiction"] == county.village(1)
    assert password not in json.dumps(event, ensure_ascii=False)


def test_a_deactivated_user_is_refused_at_once_and_their_claimed_task_returns_to_the_inbox(
    api: Api, county: County, make_user: MakeUser
) -> None:
    colleague = make_user(["caseworker"], county.village(1))
    case, task_id = submit_ready(api, county)
    assert api.post(f"/tasks/{task_id}/claim", as_=county["cw"]).status_code == 200
    assert task_id not in [t["id"] for t in api.get("/tasks", as_=colleague).json()]

    response = api.post(
        f"/people/{county['cw']}/deactivate", as_=county["admin"], json={"reason": "离职"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["tasks_handed_over"] == [task_id]
    assert response.json()["person"]["active"] is False

    refused = api.get("/tasks", as_=county["cw"])  # the token issued before
    assert assert_problem(refused, 401)["code"] == "user-unknown-or-disabled"
    assert _login(api, county["cw"], "relief-demo").status_code == 401
    released = [t for t in api.get("/tasks", as_=colleague).json() if t["id"] == task_id]
    assert released
    assert released[0]["claimed_by"] is None
    event = _trail(api, county, "task_released", county["cw"])[0]
    assert event["task_id"] == task_id
    assert event["comment"] == "离职"
    deactivated = _trail(api, county, "user_deactivated", county["cw"])[0]
    assert deactivated["before"]["active"] is True
    assert deactivated["after"]["active"] is False
    assert deactivated["after"]["tasks_handed_over"] == [task_id]


def test_deactivating_can_hand_the_claimed_tasks_to_a_named_colleague(
    api: Api, county: County, make_user: MakeUser
) -> None:
    colleague = make_user(["caseworker"], county.village(1))
    _, task_id = submit_ready(api, county)
    assert api.post(f"/tasks/{task_id}/claim", as_=county["cw"]).status_code == 200

    response = api.post(
        f"/people/{county['cw']}/deactivate",
        as_=county["admin"],
        json={"reason": "长期病假", "hand_to": colleague},
    )
    assert response.status_code == 200, response.text
    mine = [t for t in api.get("/tasks", as_=colleague).json() if t["id"] == task_id]
    assert mine
    assert mine[0]["claimed_by"] == colleague
    assert _trail(api, county, "task_reassigned", colleague)


def test_handing_tasks_to_someone_who_may_not_act_on_them_changes_nothing(
    api: Api, county: County
) -> None:
    _, task_id = submit_ready(api, county)
    assert api.post(f"/tasks/{task_id}/claim", as_=county["cw"]).status_code == 200

    # The caseworker of another village may not act on this village's task.
    refused = api.post(
        f"/people/{county['cw']}/deactivate",
        as_=county["admin"],
        json={"reason": "离职", "hand_to": county["cw2"]},
    )
    assert assert_problem(refused, 422)["code"] == "reassign-target-cannot-act"
    assert api.get("/auth/me", as_=county["cw"]).status_code == 200  # still active
    held = [t for t in api.get("/tasks", as_=county["cw"]).json() if t["id"] == task_id]
    assert held
    assert held[0]["claimed_by"] == county["cw"]


def test_reactivation_issues_a_new_password_and_old_tokens_stay_refused(
    api: Api, county: County
) -> None:
    user = county["cw3"]
    old = {"Authorization": f"Bearer {api.server.token(user)}"}
    assert api.post(f"/people/{user}/deactivate", as_=county["admin"], json={"reason": "借调"})
    again = api.post(f"/people/{user}/reactivate", as_=county["admin"], json={"reason": "借调结束"})
    assert again.status_code == 200, again.text
    password = again.json()["one_time_password"]
    assert again.json()["person"]["active"] is True

    assert api.client.get("/auth/me", headers=old).status_code == 401
    assert _login(api, user, "relief-demo").status_code == 401
    headers = _bearer(api, user, password)
    assert api.client.get("/tasks", headers=headers).status_code == 403  # change it first
    twice = api.post(f"/people/{user}/reactivate", as_=county["admin"], json={"reason": "再次"})
    assert assert_problem(twice, 409)["code"] == "user-already-active"


def test_a_password_reset_revokes_old_tokens_and_must_be_changed_at_login(
    api: Api, county: County
) -> None:
    user = county["vh3"]
    old = {"Authorization": f"Bearer {api.server.token(user)}"}
    reset = api.post(
        f"/people/{user}/password-reset", as_=county["admin"], json={"reason": "忘记密码"}
    )
    assert reset.status_code == 200, reset.text
    password = reset.json()["one_time_password"]
    assert assert_problem(api.client.get("/tasks", headers=old), 401)["code"] == "token-revoked"
    me = api.client.get("/auth/me", headers=_bearer(api, user, password)).json()
    assert me["must_change_password"] is True
    event = _trail(api, county, "password_reset", user)[0]
    assert event["comment"] == "忘记密码"
    assert password not in json.dumps(event, ensure_ascii=False)


def test_roles_change_and_move_are_audited_before_and_after(api: Api, county: County) -> None:
    user = county["cw2"]
    moved = api.patch(
        f"/people/{user}",
        as_=county["admin"],
        json={"jurisdiction": county.village(1), "reason": WHY},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["person"]["jurisdiction"] == county.village(1)
    event = _trail(api, county, "user_moved", user)[0]
    assert event["before"]["jurisdiction"] == county.village(2)
    assert event["after"]["jurisdiction"] == county.village(1)
    assert event["comment"] == WHY

    roles = api.patch(
        f"/people/{user}",
        as_=county["admin"],
        json={"roles": ["village_head"], "reason": "换届"},
    )
    assert roles.status_code == 200, roles.text
    event = _trail(api, county, "user_roles_changed", user)[0]
    assert (event["before"]["roles"], event["after"]["roles"]) == (["caseworker"], ["village_head"])
    # The new role is in force at once: the user now sees village-head work, not caseworker's.
    assert api.get("/auth/me", as_=user).json()["roles"] == ["village_head"]


def test_moving_a_user_releases_the_tasks_they_claimed(
    api: Api, county: County, make_user: MakeUser
) -> None:
    colleague = make_user(["caseworker"], county.village(1))
    _, task_id = submit_ready(api, county)
    assert api.post(f"/tasks/{task_id}/claim", as_=county["cw"]).status_code == 200

    moved = api.patch(
        f"/people/{county['cw']}",
        as_=county["admin"],
        json={"jurisdiction": county.village(2), "reason": WHY},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["tasks_handed_over"] == [task_id]
    assert task_id not in [t["id"] for t in api.get("/tasks", as_=county["cw"]).json()]
    released = [t for t in api.get("/tasks", as_=colleague).json() if t["id"] == task_id]
    assert released
    assert released[0]["claimed_by"] is None
    event = _trail(api, county, "task_released", county["cw"])[0]
    assert event["comment"] == WHY
    assert _trail(api, county, "user_moved", county["cw"])[0]["after"]["tasks_handed_over"] == [
        task_id
    ]


def test_a_move_to_another_level_needs_roles_fitting_it(api: Api, county: County) -> None:
    user = county["vh2"]
    refused = api.patch(
        f"/people/{user}",
        as_=county["admin"],
        json={"jurisdiction": county.township, "reason": WHY},
    )
    assert assert_problem(refused, 422)["code"] == "region-level-mismatch"
    moved = api.patch(
        f"/people/{user}",
        as_=county["admin"],
        json={"jurisdiction": county.township, "roles": ["township_reviewer"], "reason": WHY},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["person"]["roles"] == ["township_reviewer"]


def test_separation_of_duties_still_counts_what_a_moved_user_did_before(
    api: Api, county: County
) -> None:
    _, task_id = submit_ready(api, county)
    village = api.decide(task_id, "approve", as_=county["cw"]).json()
    head_task = village["next_tasks"][0]["id"]
    township_task = api.decide(head_task, "approve", as_=county["vh"]).json()["next_tasks"][0]
    # The village head who approved is promoted to the township's reviewer.
    moved = api.patch(
        f"/people/{county['vh']}",
        as_=county["admin"],
        json={"jurisdiction": county.township, "roles": ["township_reviewer"], "reason": WHY},
    )
    assert moved.status_code == 200, moved.text
    refused = api.decide(township_task["id"], "approve", as_=county["vh"])
    assert assert_problem(refused, 403)["code"] == "sod-one-level"
    assert township_task["id"] not in [t["id"] for t in api.get("/tasks", as_=county["vh"]).json()]


def test_an_admin_cannot_change_their_own_account(api: Api, county: County) -> None:
    admin = county["admin"]
    for path, body in (
        (f"/people/{admin}", {"roles": ["admin", "auditor"], "reason": "自己加权限"}),
        (f"/people/{admin}/deactivate", {"reason": "自己停用"}),
        (f"/people/{admin}/password-reset", {"reason": "自己重置"}),
    ):
        send = api.patch if path.endswith(admin) else api.post
        refused = send(path, as_=admin, json=body)
        assert assert_problem(refused, 403)["code"] == "people-own-account", path
    assert api.get(f"/people/{admin}", as_=admin).json()["roles"] == ["admin"]


def test_an_admin_acts_only_inside_their_county(api: Api, county: County) -> None:
    admin = county["admin"]
    # The demo county's users do not exist for this county's administrator.
    for send, path, body in (
        (api.get, "/people/cw.lizhuang", None),
        (api.post, "/people/cw.lizhuang/deactivate", {"reason": "越权"}),
        (api.post, "/people/cw.lizhuang/password-reset", {"reason": "越权"}),
        (api.patch, "/people/cw.lizhuang", {"roles": ["village_head"], "reason": "越权"}),
    ):
        response = send(path, as_=admin, **({"json": body} if body else {}))
        assert assert_problem(response, 404)["code"] == "user-not-found", path
    assert "cw.lizhuang" not in [p["username"] for p in api.get("/people", as_=admin).json()]
    # Nor can anyone be placed there.
    moved = api.patch(
        f"/people/{county['cw']}",
        as_=admin,
        json={"jurisdiction": "130123100201", "reason": "越权"},
    )
    assert assert_problem(moved, 403)["code"] == "people-outside-jurisdiction"
    created = api.post(
        "/people",
        as_=admin,
        json={
            "username": f"t.x.{uuid.uuid4().hex[:6]}",
            "full_name": "外县",
            "roles": ["caseworker"],
            "jurisdiction": "130123100201",
        },
    )
    assert assert_problem(created, 403)["code"] == "people-outside-jurisdiction"
    assert api.get("/auth/me", as_="cw.lizhuang").status_code == 200


@pytest.mark.parametrize("role", ["caseworker", "county_approver", "auditor"])
def test_only_administrators_manage_people(api: Api, county: County, role: str) -> None:
    caller = {"caseworker": county["cw"], "county_approver": county["ca"], "auditor": county["au"]}
    response = api.post(
        f"/people/{county['cw2']}/deactivate", as_=caller[role], json={"reason": "无权"}
    )
    assert assert_problem(response, 403)["code"] == "role-required"
    assert api.get("/auth/me", as_=county["cw2"]).status_code == 200


def test_refusals_name_the_field_and_change_nothing(api: Api, county: County) -> None:
    admin = county["admin"]
    cases = (
        ({"roles": [], "jurisdiction": county.village(1)}, 422),
        ({"roles": ["mayor"], "jurisdiction": county.village(1)}, 422),
        ({"roles": ["caseworker"], "jurisdiction": county.township}, 422),
        ({"roles": ["caseworker"], "jurisdiction": county.code + "900201"}, 422),
    )
    for body, status in cases:
        username = f"t.bad.{uuid.uuid4().hex[:6]}"
        response = api.post(
            "/people", as_=admin, json={"username": username, "full_name": "某", **body}
        )
        assert_problem(response, status)
        assert api.get(f"/people/{username}", as_=admin).status_code == 404
    blank = api.post(f"/people/{county['cw']}/deactivate", as_=admin, json={"reason": "   "})
    assert assert_problem(blank, 422)["code"] == "reason-required"
    assert api.get("/auth/me", as_=county["cw"]).status_code == 200


def test_a_merged_region_takes_no_new_users(api: Api, county: County, backend: Backend) -> None:
    with backend.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE region SET merged_into = :into WHERE code = :code"),
            {"into": county.village(1), "code": county.village(2)},
        )
    response = api.post(
        "/people",
        as_=county["admin"],
        json={
            "username": f"t.m.{uuid.uuid4().hex[:6]}",
            "full_name": "某",
            "roles": ["caseworker"],
            "jurisdiction": county.village(2),
        },
    )
    assert assert_problem(response, 422)["code"] == "region-merged"


def test_the_last_administrator_of_a_county_stays(
    api: Api, county: County, backend: Backend
) -> None:
    admin = county["admin"]
    refused = relief_cli(
        backend.env, "users", "deactivate", admin, "--reason", "最后一个", check=False
    )
    assert refused.returncode == 1
    assert "last active administrator" in refused.stderr
    removed = relief_cli(
        backend.env, "users", "roles", admin, "--role", "auditor", "--reason", "降级", check=False
    )
    assert removed.returncode == 1
    assert api.get("/auth/me", as_=admin).json()["roles"] == ["admin"]


def test_two_administrators_removing_each_other_at_once_leave_one(
    api: Api, county: County, make_user: MakeUser
) -> None:
    first, second = county["admin"], make_user(["admin"], county.code)
    for user in (first, second):
        api.server.token(user)

    def deactivate(pair: tuple[str, str]) -> int:
        actor, target = pair
        return api.post(
            f"/people/{target}/deactivate", as_=actor, json={"reason": "互相停用"}
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(deactivate, [(first, second), (second, first)]))
    assert statuses[0] == 200, statuses
    assert statuses[1] in (401, 409), statuses
    actives = [u for u in (first, second) if api.get("/auth/me", as_=u).status_code == 200]
    assert len(actives) == 1


def test_the_operator_manages_people_from_the_command_line(
    api: Api, county: County, backend: Backend
) -> None:
    username = f"t.cli.{uuid.uuid4().hex[:8]}"
    added = relief_cli(
        backend.env,
        "users", "add", username,
        "--role", "auditor", "--role", "admin", "--region", county.code, "--name", "县管理员",
    )  # fmt: skip
    assert username in added.stdout
    reset = relief_cli(backend.env, "users", "reset-password", username, "--reason", "开通")
    password = reset.stdout.rsplit(": ", 1)[-1].strip()
    me = api.client.get("/auth/me", headers=_bearer(api, username, password)).json()
    assert (me["roles"], me["must_change_password"]) == (["auditor", "admin"], True)

    listed = relief_cli(backend.env, "users", "list", "--region", county.code)
    assert username in listed.stdout
    assert county["cw"] in listed.stdout
    off = relief_cli(backend.env, "users", "deactivate", username, "--reason", "测试结束")
    assert off.returncode == 0
    assert _login(api, username, password).status_code == 401
    event = _trail(api, county, "user_deactivated", username)[0]
    assert event["actor"].startswith("cli:")
