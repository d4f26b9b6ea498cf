"""The auditor's queries: each filter returns exactly its events, cursor pages cover the trail
once, the case and user views, and nothing of one county reaches another county's auditor.

The trail is a fresh county's (``make_county``), so the expected events are known; the oracle
is plain SQL on the same database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.audit.trail import ids_where, read_all
from tests.conftest import Api, Backend, MakeUser
from tests.factories import EC_DOCUMENTS
from tests.fresh_county import County, advance, make_county, submit_ready


@dataclass
class Scene:
    county: County
    case_a: int  # village 1 (township 东城), approved by the village, at the township
    case_b: int  # village 3 (township 西河), submitted


@pytest.fixture
def scene(api: Api, backend: Backend, make_user: MakeUser) -> Scene:
    county = make_county(backend, make_user)
    case_a, task_id = submit_ready(api, county, village=1)
    advance(api, county, task_id, levels=2, village=1)
    case_b, _ = submit_ready(api, county, village=3)
    return Scene(county, case_a["id"], case_b["id"])


def ids(events: list[dict]) -> list[int]:
    return [event["id"] for event in events]


def test_each_filter_returns_exactly_its_events(api: Api, backend: Backend, scene: Scene) -> None:
    county, au = scene.county, scene.county["au"]
    c = {"c": county.code}
    cases: list[tuple[dict[str, object], str, dict[str, object]]] = [
        ({"application_id": scene.case_a}, "application_id = :a", {"a": scene.case_a}),
        ({"actor": county["cw3"]}, "actor = :u", {"u": county["cw3"]}),
        ({"role": "village_head"}, "role = 'village_head'", {}),
        ({"action": "document_added"}, "action = 'document_added'", {}),
        ({"region": county.township}, "region LIKE :p", {"p": county.township + "%"}),
        ({"region": county.village(3)}, "region = :v", {"v": county.village(3)}),
        (
            {"action": "task_completed", "region": county.village(1), "role": "caseworker"},
            "action = 'task_completed' AND region = :v AND role = 'caseworker'",
            {"v": county.village(1)},
        ),
    ]
    for params, where, values in cases:
        expected = ids_where(backend, f"county = :c AND {where}", **c, **values)
        assert expected, params
        assert ids(read_all(api, as_=au, **params)) == expected, params

    # What the scene did, counted by hand: the filters are not just the oracle's echo.
    case_a = read_all(api, as_=au, application_id=scene.case_a)
    assert [e["action"] for e in case_a].count("document_added") == len(EC_DOCUMENTS)
    assert [e["actor"] for e in case_a if e["action"] == "task_completed"] == [
        county["cw"],
        county["vh"],
    ]
    assert {e["application_id"] for e in read_all(api, as_=au, actor=county["cw3"])} == {
        scene.case_b
    }
    assert {e["region"] for e in read_all(api, as_=au, region=county.other_township)} == {
        county.village(3)
    }
    assert read_all(api, as_=au, action="no_such_action") == []


def test_time_ranges_are_inclusive_from_and_exclusive_to(
    api: Api, backend: Backend, scene: Scene
) -> None:
    au = scene.county["au"]
    events = read_all(api, as_=au)
    middle = events[len(events) // 2]["at"]
    instant = datetime.fromisoformat(middle.replace("Z", "+00:00"))
    c = scene.county.code
    since = read_all(api, as_=au, since=middle)
    until = read_all(api, as_=au, until=middle)
    assert ids(since) == ids_where(backend, "county = :c AND at >= :t", c=c, t=instant)
    assert ids(until) == ids_where(backend, "county = :c AND at < :t", c=c, t=instant)
    assert sorted(ids(since) + ids(until)) == ids(events)
    assert read_all(api, as_=au, since=middle, until=middle) == []


@pytest.mark.parametrize("limit", [1, 4, 1000])
def test_cursor_pages_cover_every_event_once_in_order(
    api: Api, backend: Backend, scene: Scene, limit: int
) -> None:
    au = scene.county["au"]
    pages: list[list[int]] = []
    cursor = None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = api.get("/audit/events", as_=au, params=params).json()
        assert len(page["items"]) <= limit
        pages.append(ids(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert cursor == page["items"][-1]["id"]
    everything = [event_id for page in pages for event_id in page]
    assert everything == ids_where(backend, "county = :c", c=scene.county.code)
    assert len(set(everything)) == len(everything)
    assert all(pages), "no empty last page: the cursor stops with the last event"


def test_the_case_view_lists_the_case_oldest_first(
    api: Api, backend: Backend, scene: Scene
) -> None:
    au = scene.county["au"]
    response = api.get(f"/audit/cases/{scene.case_a}", as_=au)
    assert response.status_code == 200, response.text
    body = response.json()
    assert ids(body["items"]) == ids_where(backend, "application_id = :a", a=scene.case_a)
    assert body["items"][0]["action"] == "application_submitted"
    assert body["next_cursor"] is None
    second = api.get(f"/audit/cases/{scene.case_a}", as_=au, params={"limit": 2}).json()
    assert ids(second["items"]) == ids(body["items"])[:2]
    assert second["next_cursor"] == body["items"][1]["id"]
    assert api.get("/audit/cases/2147483647", as_=au).status_code == 404


def test_the_user_view_lists_what_one_user_did(api: Api, backend: Backend, scene: Scene) -> None:
    county = scene.county
    for key in ("cw", "vh", "cw3"):
        response = api.get(f"/audit/users/{county[key]}", as_=county["au"])
        assert response.status_code == 200, response.text
        expected = ids_where(backend, "actor = :u", u=county[key])
        assert expected
        assert ids(response.json()["items"]) == expected
    assert api.get("/audit/users/nobody-at-all", as_=county["au"]).status_code == 404


def test_a_township_auditor_sees_only_the_township(
    api: Api, backend: Backend, scene: Scene, make_user: MakeUser
) -> None:
    county = scene.county
    auditor = make_user(["auditor"], county.other_township)
    events = read_all(api, as_=auditor)
    expected = ids_where(backend, "region LIKE :p", p=county.other_township + "%")
    assert ids(events) == expected
    assert {e["application_id"] for e in events} >= {scene.case_b}
    assert scene.case_a not in {e["application_id"] for e in events}
    assert api.get(f"/audit/cases/{scene.case_a}", as_=auditor).status_code == 404
    assert api.get(f"/audit/cases/{scene.case_b}", as_=auditor).status_code == 200
    # The village caseworker of the other township works wholly outside it.
    assert api.get(f"/audit/users/{county['cw']}", as_=auditor).status_code == 404
    assert ids(api.get(f"/audit/users/{county['cw3']}", as_=auditor).json()["items"]) == (
        ids_where(backend, "actor = :u", u=county["cw3"])
    )


def test_an_auditor_of_another_county_sees_none_of_it(api: Api, scene: Scene) -> None:
    county = scene.county
    other = "au.county"  # the demo county's auditor
    for params in (
        {"application_id": scene.case_a},
        {"actor": county["cw"]},
        {"region": county.code},
        {"region": county.village(1)},
    ):
        assert read_all(api, as_=other, **params) == [], params
    assert county.code not in {
        e["county"] for e in read_all(api, as_=other, action="task_completed")
    }
    assert api.get(f"/audit/cases/{scene.case_a}", as_=other).status_code == 404
    assert api.get(f"/audit/users/{county['cw']}", as_=other).status_code == 404
    # … and the fresh county's auditor sees nothing of the demo county either.
    assert read_all(api, as_=county["au"], actor="cw.lizhuang") == []
    assert read_all(api, as_=county["au"], region="130123") == []


@pytest.mark.parametrize(
    "params",
    [
        {"region": "1301"},
        {"region": "13012a"},
        {"since": "2026-01-01T00:00:00"},  # no zone: ambiguous
        {"limit": 0},
        {"limit": 1001},
        {"cursor": 0},
        {"actor": "x" * 65},
        {"application_id": 0},
    ],
)
def test_bad_query_parameters_are_refused(api: Api, params: dict) -> None:
    response = api.get("/audit/events", as_="au.county", params=params)
    assert response.status_code == 422, (params, response.text)


@pytest.mark.parametrize(
    "path",
    [
        "/audit/events",
        "/audit/events.csv",
        "/audit/events.xlsx",
        "/audit/cases/1",
        "/audit/users/admin",
    ],
)
def test_the_views_need_an_auditor_or_admin(api: Api, path: str) -> None:
    assert api.get(path, as_=None).status_code == 401
    for user in ("cw.lizhuang", "ca.county", "fo.county"):
        response = api.get(path, as_=user)
        assert response.status_code == 403, (user, path)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.get(path, as_="admin").status_code in (200, 404)  # case 1 may not exist
