"""Names from the flow, in the page's language (issue 20): a task's name in the inbox and the
diagram's steps and lanes, Chinese on a Chinese page and English on an English one; lanes by
their role's name, never the role code."""

from __future__ import annotations

from tests.conftest import Api, Server
from tests.web import pages
from tests.web.pages import logged_in


def test_the_case_diagram_names_steps_and_lanes_in_the_page_s_language(
    server: Server, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    page = logged_in(server, "cw.lizhuang")
    chinese = page.get(f"/applications/{case_id}/diagram.bpmn")
    assert chinese.status_code == 200
    assert chinese.headers["content-type"].startswith("text/plain")  # still inert
    assert 'id="village_investigation" name="村调查"' in chinese.text
    assert 'id="Lane_caseworker" name="村计生专干"' in chinese.text
    assert 'id="Lane_finance_officer" name="财务发放人员"' in chinese.text
    assert 'name="caseworker"' not in chinese.text
    assert 'name="Village investigation"' not in chinese.text

    pages.english(page)
    english = page.get(f"/applications/{case_id}/diagram.bpmn")
    assert 'id="village_investigation" name="Village investigation"' in english.text
    assert 'id="Lane_caseworker" name="Village caseworker"' in english.text
    assert 'name="村调查"' not in english.text
    # Conditions and ids are the flow's own: the diagram marks steps by id.
    assert "decision == 'approve'" in english.text


def test_the_inbox_shows_the_task_s_name_in_the_page_s_language(
    server: Server, api: Api, ready_case: dict
) -> None:
    [task] = api.get(
        "/tasks", as_="cw.lizhuang", params={"application_id": ready_case["id"]}
    ).json()
    assert (task["name"], task["name_en"]) == ("村调查", "Village investigation")
    page = logged_in(server, "cw.lizhuang")
    inbox = page.get("/")
    assert inbox.status_code == 200
    assert "<td>村调查</td>" in inbox.text
    assert "村调查 village investigation" not in inbox.text
    pages.english(page)
    assert "<td>Village investigation</td>" in page.get("/").text
