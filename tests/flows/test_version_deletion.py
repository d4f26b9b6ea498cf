"""Deleting a flow version (issue 21 §3): a version never activated can be deleted, recorded in
the trail; its number is never given again; an activated one, active or superseded, can only
be superseded (409). The upload report names the tasks that take the catalogue's default
deadline (§1). On SQLite and PostgreSQL.

Drafts on the shared server use a key of their own that no program uses; the test that
activates has a server of its own.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import Api, Server, assert_problem
from tests.flows.helpers import EXAMPLE_V2, SHIPPED, activate, events, flow_entry, own_server
from tests.flows.helpers import upload as upload_flow
from tests.web import pages
from tests.web.pages import logged_in

DELETED = "flow_version_deleted"


def without_timer(text: str, step: str = "village_investigation") -> str:
    """The shipped flow's text with no deadline timer on ``step`` (nor the 督办 end it leads
    to) and no diagram: a task a modeler dropped in without a deadline of its own."""
    text = re.sub(r"\s*<bpmndi:BPMNDiagram.*?</bpmndi:BPMNDiagram>", "", text, flags=re.S)
    for pattern in (
        rf"\s*<bpmn:flowNodeRef>(overdue|escalated)_{step}</bpmn:flowNodeRef>",
        rf'\s*<bpmn:boundaryEvent id="overdue_{step}".*?</bpmn:boundaryEvent>',
        rf'\s*<bpmn:sequenceFlow id="Flow_overdue_{step}"[^>]*/>',
        rf'\s*<bpmn:endEvent id="escalated_{step}".*?</bpmn:endEvent>',
    ):
        text, count = re.subn(pattern, "", text, flags=re.S)
        assert count, pattern
    return text


def draft(key: str, mark: str) -> bytes:
    """The shipped flow under ``key`` (no diagram), its village investigation without a
    deadline timer, made distinct by a comment ``mark``."""
    text = without_timer(SHIPPED.read_text(encoding="utf-8"))
    for old, new in (
        ('processRef="emergency_consolation"', f'processRef="{key}"'),
        ('<bpmn:process id="emergency_consolation"', f'<bpmn:process id="{key}"'),
    ):
        assert text.count(old) == 1
        text = text.replace(old, new)
    return text.replace("</bpmn:definitions>", f"<!-- {mark} --></bpmn:definitions>").encode()


def upload(api: Api, key: str, mark: str, note: str | None = None) -> dict:
    response = upload_flow(api, (f"{key}.bpmn", draft(key, mark)), note=note)
    assert response.status_code == 201, response.text
    return response.json()


def delete(api: Api, key: str, number: int, *, as_: str | None = "admin") -> httpx.Response:
    return api.client.delete(f"/flows/{key}/versions/{number}", headers=api.headers(as_))


def fresh_key() -> str:
    return f"draft_{uuid.uuid4().hex[:10]}"


def test_a_never_activated_version_is_deleted_once_and_the_trail_keeps_it(api: Api) -> None:
    key = fresh_key()
    first, second = upload(api, key, "one"), upload(api, key, "two")
    assert (first["version"], second["version"]) == (1, 2)
    assert second["activated_at"] is None

    deleted = delete(api, key, 2)
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""

    # Gone from reads, downloads, the list and activation; deleting again finds nothing.
    for response in (
        api.get(f"/flows/{key}/versions/2", as_="admin"),
        api.get(f"/flows/{key}/versions/2/bpmn", as_="au.county"),
        activate(api, key, 2, "emergency_consolation"),
        delete(api, key, 2),
    ):
        body = assert_problem(response, 404)
        assert (body["code"], body["params"]) == (
            "flow-version-deleted",
            {"key": key, "number": 2},
        )
    entry = flow_entry(api, key)
    assert [v["version"] for v in entry["versions"]] == [1]
    assert entry["latest_version"] == 1

    # The trail: who deleted which content, uploaded by whom and when.
    [event] = [e for e in events(api, DELETED) if e["before"]["key"] == key]
    assert event["actor"] == "admin"
    assert event["before"]["version"] == 2
    assert event["before"]["sha256"] == second["sha256"]
    assert event["before"]["uploaded_by"] == "admin"
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True

    # Numbers are never given twice; the deleted content does not silently come back.
    third = upload(api, key, "three")
    assert third["version"] == 3
    assert third["changes"] is not None  # against version 1, the latest one not deleted
    again = upload_flow(api, (f"{key}.bpmn", draft(key, "two")))
    body = assert_problem(again, 409)
    assert (body["code"], body["params"]) == ("flow-content-deleted", {"key": key, "number": 2})
    assert [v["version"] for v in flow_entry(api, key)["versions"]] == [1, 3]
    # The one never activated that is left can go too.
    assert delete(api, key, 1).status_code == 204
    assert [v["version"] for v in flow_entry(api, key)["versions"]] == [3]


def test_only_an_admin_deletes_a_version(api: Api) -> None:
    key = fresh_key()
    upload(api, key, "one")
    for user in ("au.county", "ca.county", "cw.lizhuang"):
        assert_problem(delete(api, key, 1, as_=user), 403)
    assert_problem(delete(api, key, 1, as_=None), 401)
    assert_problem(delete(api, key, 9), 404)
    assert_problem(delete(api, "no_such_flow", 1), 404)
    assert [v["version"] for v in flow_entry(api, key)["versions"]] == [1]
    assert not [e for e in events(api, DELETED) if e["before"]["key"] == key]


def test_a_version_the_catalogue_bound_cannot_be_deleted(api: Api) -> None:
    body = assert_problem(delete(api, "emergency_consolation", 1), 409)
    assert (body["code"], body["params"]) == (
        "flow-version-activated",
        {"key": "emergency_consolation", "number": 1},
    )
    version = api.get("/flows/emergency_consolation/versions/1", as_="admin").json()
    assert version["activated_at"] is not None


def test_the_upload_report_names_the_tasks_that_take_the_default_deadline(api: Api) -> None:
    body = upload(api, fresh_key(), "one")
    assert body["default_deadlines"] == ["village_investigation"]
    again = api.get(f"/flows/{body['key']}/versions/1", as_="au.county").json()
    assert again["default_deadlines"] == ["village_investigation"]
    # The shipped flows put a timer on every step: none takes the default.
    for key in ("emergency_consolation", "hardship_relief"):
        shipped = api.get(f"/flows/{key}/versions/1", as_="admin").json()
        assert shipped["default_deadlines"] == []


def test_the_version_page_says_which_tasks_take_the_default_and_deletes(
    server: Server, api: Api
) -> None:
    key = fresh_key()
    upload(api, key, "one")
    page = logged_in(server, "admin")
    shown = page.get(f"/flows/{key}/versions/1")
    assert shown.status_code == 200
    assert "未设置期限的任务按目录默认期限：" in shown.text
    default = re.search(r'<p class="default-deadlines">(.*?)</p>', shown.text, flags=re.S)
    assert default is not None
    assert '<code translate="no">village_investigation</code>' in default.group(1)
    form = f'action="/flows/{key}/versions/1/delete"'
    assert form in shown.text
    # No CSRF token: refused, nothing deleted.
    assert page.post(f"/flows/{key}/versions/1/delete", csrf=False).status_code == 403
    assert [v["version"] for v in flow_entry(api, key)["versions"]] == [1]
    done = page.post(f"/flows/{key}/versions/1/delete")
    assert done.status_code == 303
    assert done.headers["location"] == "/flows"
    assert "第 1 版已删除" in page.get("/flows").text
    assert page.get(f"/flows/{key}/versions/1").status_code == 404
    # An auditor has no such page or form.
    auditor = logged_in(server, "au.county")
    assert auditor.post(f"/flows/{key}/versions/1/delete").status_code == 404
    # The active shipped version offers no delete form; posting anyway is refused.
    english = pages.english(page)
    active = english.get("/flows/emergency_consolation/versions/1")
    assert 'versions/1/delete"' not in active.text
    assert "it cannot be deleted, only superseded" in active.text
    assert english.post("/flows/emergency_consolation/versions/1/delete").status_code == 409


def test_the_trail_says_in_chinese_which_version_was_deleted(server: Server, api: Api) -> None:
    key = fresh_key()
    upload(api, key, "one", note="试点草稿")
    assert delete(api, key, 1).status_code == 204
    [event] = [e for e in events(api, DELETED) if e["before"]["key"] == key]
    # Who, when, which version, its note; the API's trail as recorded.
    assert (event["actor"], event["role"]) == ("admin", "admin")
    assert event["at"]
    assert event["before"]["flow"] == f"{key}@v1"
    assert event["before"]["note"] == "试点草稿"
    assert event["after"] == {"flow": None, "deleted_by": "admin"}
    # The auditor's page: the act in Chinese, the version it took away.
    page = logged_in(server, "au.county")
    shown = page.get("/audit", params={"action": DELETED})
    assert shown.status_code == 200
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{key}@v1(?:(?!</tr>).)*</tr>", shown.text, re.S)
    assert row, shown.text
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(0)))
    assert "删除流程版本" in said
    assert "系统管理员" in said
    assert f"{key}@v1 → —" in said


def test_the_console_refuses_an_activated_version_in_chinese(server: Server) -> None:
    page = logged_in(server, "admin")
    refused = page.post("/flows/emergency_consolation/versions/1/delete")
    assert refused.status_code == 409
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", refused.text))
    assert (
        "流程 emergency_consolation 的第 1 版已启用过：不能删除，只能通过启用其他版本来取代。"
        in said
    )
    assert "superseded" not in said


def test_two_deletes_at_once_one_wins(server: Server, api: Api) -> None:
    """Two administrators delete the same draft at the same moment: one 204, the other
    finds it deleted (404) or refused (409); one trail event."""
    key = fresh_key()
    upload(api, key, "one")
    barrier = threading.Barrier(2)
    clients = [httpx.Client(base_url=api.client.base_url, timeout=30) for _ in range(2)]

    def once(client: httpx.Client) -> httpx.Response:
        barrier.wait()
        return client.delete(f"/flows/{key}/versions/1", headers=api.headers("admin"))

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(once, clients))
    finally:
        for client in clients:
            client.close()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses[0] == 204, [a.text for a in answers]
    assert statuses[1] in (404, 409), [a.text for a in answers]
    loser = next(answer for answer in answers if answer.status_code != 204)
    assert loser.json()["code"] in ("flow-version-deleted", "flow-version-activated")
    assert len([e for e in events(api, DELETED) if e["before"]["key"] == key]) == 1
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


# --- activated and superseded: a server of its own ---------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_an_active_or_superseded_version_can_only_be_superseded(kind: str, tmp_path: Path) -> None:
    with own_server(kind, tmp_path) as server:
        api = server.api
        assert api is not None
        content = EXAMPLE_V2.read_bytes()
        uploaded = upload_flow(api, (EXAMPLE_V2.name, content))
        assert uploaded.status_code == 201, uploaded.text
        number = uploaded.json()["version"]
        assert activate(api, "emergency_consolation", number).status_code == 200
        now = api.get(f"/flows/emergency_consolation/versions/{number}", as_="admin").json()
        assert now["activated_at"] is not None
        for version in (number, 1):  # active; superseded
            body = assert_problem(delete(api, "emergency_consolation", version), 409)
            assert body["code"] == "flow-version-activated"
        # Activated back and forth: still neither can go.
        assert activate(api, "emergency_consolation", 1).status_code == 200
        assert_problem(delete(api, "emergency_consolation", number), 409)
        versions = flow_entry(api, "emergency_consolation")["versions"]
        assert [v["version"] for v in versions] == [1, number]
        assert not events(api, DELETED)
        assert hashlib.sha256(content).hexdigest() == versions[1]["sha256"]
