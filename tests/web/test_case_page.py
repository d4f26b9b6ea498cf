"""The case page: what it shows, who may see it, and the commands posted from it."""

from __future__ import annotations

import re

from tests.conftest import Api, MakeUser, Server
from tests.factories import PDF, VILLAGE_HEKOU
from tests.web import pages
from tests.web.pages import logged_in

FULL_ID_OR_CARD = re.compile(r"(?<!\d)\d{16,19}(?!\d)|(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")


def test_the_case_page_shows_the_case_masked_with_its_diagram(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    page = logged_in(server, "tr.dongcheng")  # the township sees the village's case
    response = page.get(f"/applications/{case_id}")
    assert response.status_code == 200
    html = response.text
    assert f'data-status="{ready_case["status"]}"' in html
    assert ready_case["applicant"]["id_number"] in html  # the masked form the API shows
    assert FULL_ID_OR_CARD.search(pages.visible_text(html)) is None
    assert f'data-bpmn-url="/applications/{case_id}/diagram.bpmn"' in html
    # The open task (the caseworker's investigation) is marked; nothing is done yet.
    open_spec = ready_case["tasks"][0]["spec"]
    assert f'data-open="{open_spec}"' in html
    assert 'data-done=""' in html
    assert 'name="task_id"' not in html  # not the township's task yet

    diagram = page.get(f"/applications/{case_id}/diagram.bpmn")
    assert diagram.status_code == 200
    # Plain text (never rendered by a browser); diagram.js reads it with fetch.
    assert diagram.headers["content-type"].startswith("text/plain")
    assert f'id="{open_spec}"' in diagram.text


def test_another_village_gets_404_for_the_case_and_its_diagram(
    server: Server, ready_case: dict, make_user: MakeUser
) -> None:
    case_id = ready_case["id"]
    stranger = logged_in(server, make_user(["caseworker"], VILLAGE_HEKOU))
    for path in (f"/applications/{case_id}", f"/applications/{case_id}/diagram.bpmn"):
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    refused = stranger.post(
        f"/applications/{case_id}/decision", {"task_id": "1", "decision": "approve"}
    )
    assert refused.status_code == 404


def test_decisions_from_the_page_move_the_case_and_mark_the_diagram(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    for username in ("cw.lizhuang", "vh.lizhuang"):
        page = logged_in(server, username)
        html = page.get(f"/applications/{case_id}").text
        response = page.post(
            f"/applications/{case_id}/decision",
            {"task_id": pages.task_id(html), "decision": "approve", "comment": "核实无误"},
        )
        assert response.status_code == 303
        # Back to the case, which says what happens next (the decided task).
        assert response.headers["location"].startswith(f"/applications/{case_id}?decided=")
    case = api.case(case_id)
    assert [task["role"] for task in case["tasks"]] == ["township_reviewer"]
    completed = [e for e in api.events(case_id) if e["action"] == "task_completed"]
    assert [e["actor"] for e in completed] == ["cw.lizhuang", "vh.lizhuang"]
    assert completed[-1]["comment"] == "核实无误"

    html = logged_in(server, "tr.dongcheng").get(f"/applications/{case_id}").text
    done = re.search(r'data-done="([^"]*)"', html)
    assert done
    assert len(done.group(1).split()) == 2
    assert 'name="task_id"' in html  # now the township's turn


def test_a_refused_decision_comes_back_to_the_page_and_is_audited(server: Server, api: Api) -> None:
    case_id = api.submit()["id"]  # no documents attached: the village cannot sign yet
    page = logged_in(server, "cw.lizhuang")
    pages.english(page)
    task_id = pages.task_id(page.get(f"/applications/{case_id}").text)
    response = page.post(
        f"/applications/{case_id}/decision", {"task_id": task_id, "decision": "approve"}
    )
    assert response.status_code == 303
    shown = page.get(f"/applications/{case_id}").text
    assert pages.flash(shown).startswith("Attach the required documents first: Application form, ")
    assert api.case(case_id)["tasks"][0]["id"] == int(task_id)  # still open
    refusals = [e for e in api.events(case_id) if e["action"] == "action_refused"]
    assert refusals
    assert refusals[-1]["actor"] == "cw.lizhuang"


def test_a_decision_needs_the_csrf_token_and_a_known_choice(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    page = logged_in(server, "cw.lizhuang")
    task_id = pages.task_id(page.get(f"/applications/{case_id}").text)
    path = f"/applications/{case_id}/decision"
    assert (
        page.post(path, {"task_id": task_id, "decision": "approve"}, csrf=False).status_code == 403
    )
    assert page.post(path, {"task_id": task_id, "decision": "maybe"}).status_code == 303
    assert api.case(case_id)["tasks"][0]["id"] == int(task_id)  # neither changed anything


def test_withdrawal_and_revocation_from_the_page(server: Server, api: Api) -> None:
    withdrawn = api.submit()["id"]
    page = logged_in(server, "cw.lizhuang")
    page.get(f"/applications/{withdrawn}")
    response = page.post(f"/applications/{withdrawn}/withdraw", {"reason": "家属撤回申请"})
    assert response.status_code == 303
    assert api.case(withdrawn)["status"] == "withdrawn"

    approved = api.submit()["id"]
    api.attach_required(approved)
    for username in ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county"):
        api.act(approved, "approve", as_=username)
    county = logged_in(server, "ca.county")
    assert "/revoke" in county.get(f"/applications/{approved}").text
    response = county.client.post(
        f"/applications/{approved}/revoke",
        data={"csrf_token": county.csrf, "reason": "冒领：子女健在"},
        files={"evidence": ("核查笔录.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 303
    assert api.case(approved)["status"] == "revoked"
