"""The region tree over the API: administrators add, rename and merge regions of their county.

Each test has a county of its own (tests/fresh_county.py): 东城镇 ``100`` with villages ``201``
and ``202``, 西河乡 ``200`` with village ``201``. A merged village's cases keep the code they were
submitted under (``submitted_village``) and move to the successor in the current tree, with
their tasks and the people who worked there.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.factories import application
from tests.fresh_county import County, advance, approve, make_county, submit_ready


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def patch(api: Api, path: str, *, as_: str, json: dict) -> httpx.Response:
    return api.client.patch(path, headers=api.headers(as_), json=json)


def merge(api: Api, source: str, into: str, *, as_: str) -> httpx.Response:
    return api.post(f"/regions/{source}/merge", as_=as_, json={"into": into})


def events(api: Api, county: County, action: str) -> list[dict]:
    response = api.get(
        "/audit/events",
        as_=county["au"],
        params={"region": county.code, "action": action, "limit": 1000},
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def region_events(backend: Backend, county: County) -> int:
    """Events of the county's chain that change regions or move people."""
    with backend.engine.connect() as connection:
        return int(
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM audit_event WHERE county = :county "
                    "AND action IN ('region_added', 'region_renamed', 'region_merged', "
                    "'user_moved')"
                ),
                {"county": county.code},
            ).scalar_one()
        )


def jurisdiction_of(backend: Backend, username: str) -> str:
    with backend.engine.connect() as connection:
        return str(
            connection.execute(
                sa.text("SELECT jurisdiction FROM user_account WHERE username = :name"),
                {"name": username},
            ).scalar_one()
        )


def inbox(api: Api, user: str, case_id: int) -> list[dict]:
    response = api.get("/tasks", as_=user, params={"application_id": case_id})
    assert response.status_code == 200, response.text
    return response.json()


def codes(nodes: list[dict]) -> set[str]:
    found = set()
    for node in nodes:
        found.add(node["code"])
        found |= codes(node["children"])
    return found


def test_an_admin_adds_and_renames_regions_of_their_county_audited(
    api: Api, county: County
) -> None:
    village = county.township + "203"
    added = api.post("/regions", as_=county["admin"], json={"code": village, "name": "新庄村"})
    assert added.status_code == 201, added.text
    assert added.json() | {"children": []} == {
        "code": village,
        "name": "新庄村",
        "level": "village",
        "parent": county.township,
        "current": True,
        "merged_into": None,
        "merged_at": None,
        "merged_from": [],
        "children": [],
    }
    township = county.code + "300"
    assert (
        api.post(
            "/regions", as_=county["admin"], json={"code": township, "name": "南湖镇"}
        ).status_code
        == 201
    )
    renamed = patch(api, f"/regions/{village}", as_=county["admin"], json={"name": "新庄新村"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "新庄新村"

    tree = api.get("/regions", as_=county["au"])  # auditors read the tree too
    assert tree.status_code == 200, tree.text
    (root,) = tree.json()
    assert root["code"] == county.code
    assert [child["code"] for child in root["children"]] == [
        county.township,
        county.other_township,
        township,
    ]
    assert codes(tree.json()) >= {village, township}
    added_events = events(api, county, "region_added")
    assert {event["region"] for event in added_events} == {village, township}
    assert all(event["actor"] == county["admin"] for event in added_events)
    (rename,) = events(api, county, "region_renamed")
    assert rename["before"]["name"] == "新庄村"
    assert rename["after"]["name"] == "新庄新村"
    assert rename["region"] == village


def test_a_village_merge_moves_cases_tasks_and_people_and_keeps_the_submitted_village(
    api: Api, backend: Backend, county: County
) -> None:
    old, new = county.village(2), county.village(1)
    case, task_id = submit_ready(api, county, village=2)
    task = advance(api, county, task_id, levels=1, village=2)  # the village head's turn
    assert task is not None
    assert task["role"] == "village_head"

    merged = merge(api, old, new, as_=county["admin"])
    assert merged.status_code == 200, merged.text
    result = merged.json()
    assert result["region"] == old
    assert result["merged_into"] == new
    assert result["cases"] == 1
    assert result["tasks"] >= 2
    assert set(result["users"]) == {county["cw2"], county["vh2"]}
    assert result["villages"] == {}

    seen = api.case(case["id"], as_=county["au"])
    assert seen["village"] == new
    assert seen["submitted_village"] == old
    # The successor village's head acts on it at once; the next task is the township's.
    (waiting,) = inbox(api, county["vh"], case["id"])
    assert waiting["id"] == task["id"]
    done = approve(api, task["id"], as_=county["vh"])
    (next_task,) = done["next_tasks"]
    assert [t["id"] for t in inbox(api, county["tr"], case["id"])] == [next_task["id"]]

    # The people of the merged village work in the successor now.
    assert jurisdiction_of(backend, county["cw2"]) == new
    assert jurisdiction_of(backend, county["vh2"]) == new
    moves = events(api, county, "user_moved")
    assert {(m["before"]["jurisdiction"], m["after"]["jurisdiction"]) for m in moves} == {
        (old, new)
    }
    assert {m["after"]["username"] for m in moves} == {county["cw2"], county["vh2"]}
    assert all(old in m["comment"] for m in moves)
    (event,) = events(api, county, "region_merged")
    assert event["region"] == old
    assert event["before"]["merged_into"] is None
    assert event["after"] | {"into_name": None} == {
        "merged_into": new,
        "into_name": None,
        "cases": 1,
        "tasks": result["tasks"],
        "notices": 0,
        "users": 2,
    }

    # A merged village takes no new case; the error names its successor.
    refused = api.post("/applications", as_=county["cw"], json=application(village=old))
    body = assert_problem(refused, 422, "invalid-input")
    assert body["code"] == "village-merged"
    assert body["params"] == {"village": old, "merged_into": new}

    # The current tree leaves it out; with the history it is there, under its old township.
    current = api.get("/regions", as_=county["admin"]).json()
    assert old not in codes(current)
    history = api.get("/regions", as_=county["admin"], params={"include_merged": "true"})
    (root,) = history.json()
    township = next(node for node in root["children"] if node["code"] == county.township)
    by_code = {node["code"]: node for node in township["children"]}
    assert by_code[old]["current"] is False
    assert by_code[old]["merged_into"] == new
    assert by_code[old]["merged_at"]
    assert by_code[new]["merged_from"] == [old]
    one = api.get(f"/regions/{old}", as_=county["au"])
    assert one.status_code == 200
    assert one.json()["merged_into"] == new

    again = merge(api, old, new, as_=county["admin"])
    assert assert_problem(again, 409)["code"] == "region-already-merged"


def test_a_township_merge_gives_its_villages_codes_under_the_successor(
    api: Api, backend: Backend, make_user: MakeUser, county: County
) -> None:
    old, new = county.other_township, county.township
    case, task_id = submit_ready(api, county, village=3)
    task = advance(api, county, task_id, levels=2, village=3)  # the township's turn
    assert task is not None
    assert task["role"] == "township_reviewer"
    assert inbox(api, county["tr"], case["id"]) == []

    merged = merge(api, old, new, as_=county["admin"])
    assert merged.status_code == 200, merged.text
    result = merged.json()
    # 201 is taken under the successor (李庄村): the village takes the next free number.
    successor_village = new + "203"
    assert result["villages"] == {county.village(3): successor_village}
    assert result["cases"] == 1
    assert set(result["users"]) == {county["cw3"], county["vh3"], county["tr2"]}

    seen = api.case(case["id"], as_=county["au"])
    assert (seen["village"], seen["submitted_village"]) == (successor_village, county.village(3))
    # The successor township's reviewer has the task now and acts on it.
    assert [t["id"] for t in inbox(api, county["tr"], case["id"])] == [task["id"]]
    done = approve(api, task["id"], as_=county["tr"])
    (next_task,) = done["next_tasks"]
    assert [t["id"] for t in inbox(api, county["ca"], case["id"])] == [next_task["id"]]
    # Whoever still works under the old township's code sees nothing of it.
    stale = make_user(["township_reviewer"], old)
    assert_problem(api.get(f"/applications/{case['id']}", as_=stale), 404)
    assert api.get("/tasks", as_=stale).json() == []

    assert jurisdiction_of(backend, county["tr2"]) == new
    assert jurisdiction_of(backend, county["cw3"]) == successor_village
    tree = api.get("/regions", as_=county["admin"]).json()
    (root,) = tree
    assert [child["code"] for child in root["children"]] == [new]
    (township,) = root["children"]
    assert township["merged_from"] == [old]
    names = {child["code"]: child["name"] for child in township["children"]}
    assert names[successor_village] == "河口村"

    merges = {event["region"]: event for event in events(api, county, "region_merged")}
    assert set(merges) == {old, county.village(3)}
    assert merges[old]["after"]["villages"] == {county.village(3): successor_village}
    assert merges[old]["after"]["cases"] == 1
    assert merges[old]["after"]["users"] == 3
    assert merges[county.village(3)]["after"]["merged_into"] == successor_village
    added = events(api, county, "region_added")
    assert [event["region"] for event in added] == [successor_village]


def test_refusals_change_nothing(api: Api, backend: Backend, county: County) -> None:
    admin, before = county["admin"], region_events(backend, county)
    village, township = county.village(1), county.township

    def refused(response: httpx.Response, status: int, code: str) -> None:
        assert assert_problem(response, status)["code"] == code, response.text

    # Another county's admin sees nothing of this one: 404, as for a code that does not exist.
    refused(api.get(f"/regions/{village}", as_="admin"), 404, "region-not-found")
    refused(merge(api, county.village(2), village, as_="admin"), 404, "region-not-found")
    refused(
        patch(api, f"/regions/{village}", as_="admin", json={"name": "x"}), 404, "region-not-found"
    )
    refused(
        api.post("/regions", as_="admin", json={"code": township + "209", "name": "外县村"}),
        404,
        "region-not-found",
    )
    refused(merge(api, village, "130123100201", as_=admin), 404, "region-not-found")
    refused(merge(api, village, township + "299", as_=admin), 404, "region-not-found")
    # Only administrators change the tree; county approvers and auditors do not even read it
    # (auditors do).
    refused(merge(api, county.village(2), village, as_=county["ca"]), 403, "role-required")
    refused(
        patch(api, f"/regions/{village}", as_=county["au"], json={"name": "x"}),
        403,
        "role-required",
    )
    refused(api.get("/regions", as_=county["tr"]), 403, "role-required")
    # Wrong merges.
    refused(merge(api, village, township, as_=admin), 422, "region-merge-level")
    refused(merge(api, township, village, as_=admin), 422, "region-merge-level")
    refused(merge(api, village, village, as_=admin), 422, "region-merge-self")
    refused(merge(api, county.code, county.code, as_=admin), 422, "region-merge-self")
    # Wrong additions.
    add = lambda body: api.post("/regions", as_=admin, json=body)  # noqa: E731
    refused(add({"code": "139999", "name": "新县"}), 403, "region-county-cli-only")
    refused(add({"code": village, "name": "重复"}), 409, "region-exists")
    refused(add({"code": township + "2031", "name": "坏码"}), 422, "invalid-input")
    refused(add({"code": township + "203", "name": "  "}), 422, "name-length")
    refused(add({"code": township + "203", "name": "村\u0007"}), 422, "text-control-character")
    refused(
        add({"code": township + "203", "name": "村", "parent": county.other_township}),
        422,
        "region-parent-mismatch",
    )
    refused(add({"code": county.code + "900203", "name": "无镇村"}), 404, "region-not-found")
    assert region_events(backend, county) == before
    assert codes(api.get("/regions", as_=admin).json()) == {
        county.code,
        township,
        county.other_township,
        county.village(1),
        county.village(2),
        county.village(3),
    }

    # Into a merged region, or under one: the successor is named.
    assert merge(api, county.village(2), village, as_=admin).status_code == 200
    after_merge = region_events(backend, county)
    body = assert_problem(merge(api, county.village(3), county.village(2), as_=admin), 422)
    assert body["code"] == "region-merged"
    assert body["params"] == {"region": county.village(2), "merged_into": village}
    assert region_events(backend, county) == after_merge


def test_two_merges_of_one_region_at_once_win_once(
    api: Api, backend: Backend, county: County
) -> None:
    source = county.village(2)
    token = api.server.token(county["admin"])
    barrier = threading.Barrier(4)
    targets = [county.village(1), county.village(3)] * 2

    def send(into: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{api.server.url}/api/v1", headers=headers, timeout=60) as c:
            c.get("/auth/me").raise_for_status()
            barrier.wait(timeout=30)
            return c.post(f"/regions/{source}/merge", json={"into": into})

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(send, targets))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 409, 409, 409], [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "region-already-merged"
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    (event,) = events(api, county, "region_merged")
    assert event["after"]["merged_into"] == winner["merged_into"]
    assert len(events(api, county, "user_moved")) == 2
    assert jurisdiction_of(backend, county["cw2"]) == winner["merged_into"]
