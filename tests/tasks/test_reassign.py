"""Reassigning a task (改派, issue 19): a county approver, or a township reviewer within the
township, hands a claimed or overdue task to another user who may act on it, with a reason;
the new holder is told and the trail says so; escalation notices name the holder. Real
server, both databases; a county of each test's own, so claims never collide.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from service.auth.models import User
from service.auth.passwords import hash_password
from service.clock import set_clock
from tests.conftest import DEMO_PASSWORD, Api, Backend, MakeUser, assert_problem, relief_cli
from tests.factories import application
from tests.flows.helpers import OwnServer, own_server
from tests.fresh_county import County, advance, make_county, submit_ready

REASON = "张三休假两周，改由同事办理"


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def refused(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """A problem answer with ``status`` and (when given) ``code``."""
    problem = assert_problem(response, status)
    if code is not None:
        assert problem["code"] == code, problem
    return problem


def reassign(api: Api, task_id: int, to: str, *, as_: str, reason: str = REASON) -> httpx.Response:
    return api.post(f"/tasks/{task_id}/reassign", as_=as_, json={"to": to, "reason": reason})


def claim(api: Api, task_id: int, *, as_: str) -> None:
    response = api.post(f"/tasks/{task_id}/claim", as_=as_)
    assert response.status_code == 200, response.text


def inbox_ids(api: Api, user: str, case_id: int) -> list[int]:
    response = api.get("/tasks", as_=user, params={"application_id": case_id})
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()]


def holder(backend: Backend, task_id: int) -> str | None:
    with backend.engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT u.username FROM task t LEFT JOIN user_account u ON u.id = t.claimed_by"
                " WHERE t.id = :id"
            ),
            {"id": task_id},
        ).scalar_one()


def reassignments(api: Api, case_id: int, *, as_: str) -> list[dict]:
    response = api.get(
        "/audit/events", as_=as_, params={"application_id": case_id, "action": "task_reassigned"}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def notices_to(backend: Backend, username: str) -> list[str]:
    with backend.engine.connect() as connection:
        return list(
            connection.execute(
                sa.text(
                    "SELECT body FROM notification WHERE recipient = :user AND event = :event"
                    " ORDER BY id"
                ),
                {"user": username, "event": "task_assigned"},
            ).scalars()
        )


def make_overdue(backend: Backend, task_id: int) -> None:
    """The task's deadline passed an hour ago (as the worker's clock would have it)."""
    with backend.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE task SET due_at = :due WHERE id = :id"),
            {"due": datetime.now(UTC) - timedelta(hours=1), "id": task_id},
        )


def test_a_claimed_task_goes_to_a_colleague_who_completes_it(
    api: Api, backend: Backend, county: County, make_user: MakeUser
) -> None:
    colleague = make_user(["caseworker"], county.village(1))
    case, task_id = submit_ready(api, county)
    claim(api, task_id, as_=county["cw"])

    # The approver sees who may take it: the village's caseworkers other than the holder.
    offered = api.get(f"/tasks/{task_id}/candidates", as_=county["ca"])
    assert offered.status_code == 200, offered.text
    assert offered.json() == [{"username": colleague, "full_name": "测试用户"}]

    moved = reassign(api, task_id, colleague, as_=county["ca"])
    assert moved.status_code == 200, moved.text
    assert moved.json()["claimed_by"] == colleague
    assert holder(backend, task_id) == colleague

    # The new holder has it; the old one no longer does and cannot decide it.
    assert inbox_ids(api, colleague, case["id"]) == [task_id]
    assert inbox_ids(api, county["cw"], case["id"]) == []
    refused(api.decide(task_id, "approve", as_=county["cw"]), 409, "task-claimed-by-other")
    done = api.decide(task_id, "approve", as_=colleague)
    assert done.status_code == 200, done.text

    [event] = reassignments(api, case["id"], as_=county["au"])
    assert event["actor"] == county["ca"]
    assert event["role"] == "county_approver"
    assert event["task_id"] == task_id
    assert event["before"]["holder"] == county["cw"]
    assert event["after"]["holder"] == colleague
    assert event["comment"] == REASON
    # The new holder is told, with the reason.
    [notice] = [body for body in notices_to(backend, colleague) if "改派" in body]
    assert f"案件编号{case['id']}" in notice
    assert REASON in notice


def test_an_overdue_unclaimed_task_can_be_given_to_someone(
    api: Api, backend: Backend, county: County
) -> None:
    case, task_id = submit_ready(api, county)
    # Free and on time: it waits in the role's inbox, nobody needs to hand it over.
    refused(reassign(api, task_id, county["cw"], as_=county["ca"]), 409, "task-not-reassignable")
    make_overdue(backend, task_id)
    # The township reviewer may hand the village's late step to its caseworker.
    moved = reassign(api, task_id, county["cw"], as_=county["tr"])
    assert moved.status_code == 200, moved.text
    assert holder(backend, task_id) == county["cw"]
    [event] = reassignments(api, case["id"], as_=county["au"])
    assert (event["before"]["holder"], event["after"]["holder"]) == (None, county["cw"])
    assert event["role"] == "township_reviewer"


def test_refusals_change_nothing(
    api: Api, backend: Backend, county: County, make_user: MakeUser
) -> None:
    case, task_id = submit_ready(api, county)
    claim(api, task_id, as_=county["cw"])
    inactive = make_user(["caseworker"], county.village(1))
    with backend.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE user_account SET active = :no WHERE username = :name"),
            {"no": False, "name": inactive},
        )

    # The route's role gate (the console's form meets the service's own check instead).
    for caller in (county["cw"], county["vh"], county["au"], county["admin"], county["fo"]):
        refused(reassign(api, task_id, county["cw2"], as_=caller), 403, "case-role-required")
        refused(api.get(f"/tasks/{task_id}/candidates", as_=caller), 403)
    # Another county's approver, another township's reviewer: no such task for them.
    refused(reassign(api, task_id, county["cw"], as_="ca.county"), 404, "task-not-found")
    refused(reassign(api, task_id, county["cw"], as_=county["tr2"]), 404, "task-not-found")
    refused(api.get(f"/tasks/{task_id}/candidates", as_="ca.county"), 404)

    # Whom to: the task's role, covering its village, active; an unknown name is the same
    # refusal as another county's user, so the answer reveals nobody.
    for target in (
        county["vh"],  # another role
        county["cw2"],  # a caseworker of the other village
        "cw.lizhuang",  # another county's caseworker
        "nobody." + uuid.uuid4().hex[:8],
        inactive,
        county["ca"],  # the approver themselves: not a caseworker
    ):
        problem = refused(
            reassign(api, task_id, target, as_=county["ca"]), 422, "reassign-target-cannot-act"
        )
        assert problem["params"] == {"task_id": task_id, "to": target}
    refused(reassign(api, task_id, county["cw"], as_=county["ca"]), 422, "reassign-same-holder")

    # A reason is required, in 1 to 500 characters.
    for reason in ("", "   \n ", "长" * 501):
        refused(
            reassign(api, task_id, county["cw"], as_=county["ca"], reason=reason),
            422,
            "reason-required",
        )
    missing = api.post(f"/tasks/{task_id}/reassign", as_=county["ca"], json={"to": county["cw"]})
    refused(missing, 422)

    assert holder(backend, task_id) == county["cw"]
    assert reassignments(api, case["id"], as_=county["au"]) == []
    assert [m for m in notices_to(backend, county["cw"]) if "改派" in m] == []


def test_separation_of_duties_counts_for_the_new_holder(
    api: Api, backend: Backend, county: County, make_user: MakeUser
) -> None:
    # Someone who holds both village roles did the village investigation of this case: they
    # may not also sign as village head, whoever hands the task to them.
    both = make_user(["caseworker", "village_head"], county.village(1))
    case, task_id = submit_ready(api, county)
    done = api.decide(task_id, "approve", as_=both)
    assert done.status_code == 200, done.text
    [cosign] = done.json()["next_tasks"]
    claim(api, cosign["id"], as_=county["vh"])

    offered = api.get(f"/tasks/{cosign['id']}/candidates", as_=county["ca"]).json()
    assert offered == []  # vh holds it; `both` acted at the other level
    refused(reassign(api, cosign["id"], both, as_=county["ca"]), 422, "reassign-target-cannot-act")
    assert holder(backend, cosign["id"]) == county["vh"]


def test_the_township_reviewer_reassigns_in_the_township_only(
    api: Api, backend: Backend, county: County, make_user: MakeUser
) -> None:
    other_reviewer = make_user(["township_reviewer"], county.township)
    case, task_id = submit_ready(api, county)
    review = advance(api, county, task_id, levels=2)
    assert review is not None
    assert review["role"] == "township_reviewer"
    claim(api, review["id"], as_=county["tr"])
    # Its own level, to a colleague of the township (not to the other township's reviewer).
    refused(
        reassign(api, review["id"], county["tr2"], as_=county["tr"]),
        422,
        "reassign-target-cannot-act",
    )
    moved = reassign(api, review["id"], other_reviewer, as_=county["tr"])
    assert moved.status_code == 200, moved.text
    county_task = api.decide(review["id"], "approve", as_=other_reviewer)
    assert county_task.status_code == 200, county_task.text
    [approval] = county_task.json()["next_tasks"]
    assert approval["role"] == "county_approver"
    claim(api, approval["id"], as_=county["ca"])
    # The county's step is the county's: the township reviewer may not move it.
    refused(
        reassign(api, approval["id"], county["ca"], as_=county["tr"]), 403, "reassign-role-required"
    )
    assert holder(backend, approval["id"]) == county["ca"]


def race(api: Api, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """POST every ``(username, path, json)`` at the same moment (a barrier releases them)."""
    tokens = {user: api.server.token(user) for user, _path, _body in requests}
    barrier = threading.Barrier(len(requests))

    def send(user: str, path: str, body: dict) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        with httpx.Client(
            base_url=f"{api.server.url}/api/v1", headers=headers, timeout=60
        ) as client:
            client.get("/auth/me").raise_for_status()
            barrier.wait(timeout=30)
            return client.post(path, json=body)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return [future.result() for future in [pool.submit(send, *r) for r in requests]]


def test_concurrent_reassignments_win_once(
    api: Api, backend: Backend, county: County, make_user: MakeUser
) -> None:
    colleague = make_user(["caseworker"], county.village(1))
    case, task_id = submit_ready(api, county)
    claim(api, task_id, as_=county["cw"])
    body = {"to": colleague, "reason": REASON}
    path = f"/tasks/{task_id}/reassign"
    answers = race(api, [(county["ca"], path, body), (county["tr"], path, body)] * 3)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(200) == 1, [a.text for a in answers]
    # The others lost the race (409) or, once it was decided, found the colleague holding it.
    for answer in answers:
        if answer.status_code != 200:
            assert answer.json()["code"] in ("task-claimed-meanwhile", "reassign-same-holder")
    assert holder(backend, task_id) == colleague
    assert len(reassignments(api, case["id"], as_=county["au"])) == 1


# --- escalation names the holder (a server of its own, whose clock the test moves) ----------


@pytest.fixture(params=["sqlite", "postgres"])
def clocked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[OwnServer, Path]]:
    clock = tmp_path / "clock"
    set_clock(clock, datetime.now(UTC).replace(microsecond=0))
    with own_server(request.param, tmp_path, RELIEF_CLOCK_FILE=str(clock)) as server:
        yield server, clock


def _add_user(server: OwnServer, role: str, jurisdiction: str, full_name: str) -> str:
    username = f"t.{role[:8]}.{uuid.uuid4().hex[:10]}"
    with server.backend.engine.begin() as connection:
        connection.execute(
            User.__table__.insert().values(  # type: ignore[attr-defined]
                username=username,
                full_name=full_name,
                password_hash=hash_password(DEMO_PASSWORD),
                roles=[role],
                jurisdiction=jurisdiction,
                active=True,
                created_at=datetime.now(UTC),
            )
        )
    return username


def _overdue_notice(server: OwnServer, case_id: int) -> str:
    with server.backend.engine.connect() as connection:
        [body] = connection.execute(
            sa.text("SELECT body FROM notification WHERE application_id = :id AND event = :e"),
            {"id": case_id, "e": "overdue"},
        ).scalars()
    return str(body)


def test_the_escalation_names_the_holder(clocked: tuple[OwnServer, Path]) -> None:
    server, clock = clocked
    api = server.api
    assert api is not None
    colleague = _add_user(server, "caseworker", "130123100201", "李四")
    handed, left = api.submit(application()), api.submit(application())
    task = api.task_for(handed["id"], as_="cw.lizhuang")
    claim(api, task["id"], as_="cw.lizhuang")
    moved = reassign(api, task["id"], colleague, as_="ca.county")
    assert moved.status_code == 200, moved.text

    set_clock(clock, datetime.fromisoformat(task["due_at"]) + timedelta(minutes=1))
    relief_cli(server.backend.env, "worker", "--once")
    # The village head is told (督办) who holds the late step now: the new holder.
    notice = _overdue_notice(server, handed["id"])
    assert f"办理人：李四（{colleague}）" in notice
    assert "cw.lizhuang" not in notice
    assert "办理人：未认领" in _overdue_notice(server, left["id"])
