"""The case page's life events, in Chinese: the caseworker records a death with its evidence,
a county approver confirms it, and the page shows the event, its effect and the timeline."""

from __future__ import annotations

from tests.attack.rules import PAGES, ROLES
from tests.conftest import Api, MakeUser, Server
from tests.factories import PDF
from tests.life_events.helpers import decide, recorded
from tests.programs.test_special_assistance import enrol
from tests.web.pages import DEMO_USERS, flash, logged_in


def test_caseworker_records_and_the_county_confirms_on_the_case_page(
    api: Api, server: Server
) -> None:
    case_id = enrol(api)["id"]
    worker = logged_in(server, "cw.lizhuang")
    page = worker.get(f"/applications/{case_id}")
    assert page.status_code == 200
    assert 'id="life-event-record"' in page.text
    assert "扶助对象情况变化" in page.text
    sent = worker.post(
        f"/applications/{case_id}/life-events",
        {"kind": "death", "person": "spouse", "event_date": "2025-06-01", "note": "病故"},
        files={"evidence": ("death.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 303, sent.text
    page = worker.get(f"/applications/{case_id}")
    assert flash(page.text) == "情况变化已登记，待县级审批人确认。"
    assert 'id="life-event-record"' not in page.text  # one event waits at a time
    assert "登记扶助对象情况变化" in page.text  # the timeline
    assert 'id="life-event-decision"' not in page.text  # not the caseworker's to decide

    county = logged_in(server, "ca.county")
    page = county.get(f"/applications/{case_id}")
    assert 'id="life-event-decision"' in page.text
    (event,) = api.get("/life-events", as_="ca.county", params={"application_id": case_id}).json()
    done = county.post(f"/life-events/{event['id']}/decision", {"decision": "confirm"})
    assert done.status_code == 303, done.text
    page = county.get(f"/applications/{case_id}")
    assert flash(page.text) == "情况变化已确认，发放已相应调整。"
    assert "享受扶助人数：2 → 1。" in page.text
    assert "县级确认情况变化" in page.text
    assert 'id="life-event-decision"' not in page.text


def test_a_refusal_is_said_in_chinese_and_the_recorder_gets_no_decision_form(
    api: Api, server: Server
) -> None:
    case_id = enrol(api, spouse=False)["id"]
    worker = logged_in(server, "cw.lizhuang")
    worker.get(f"/applications/{case_id}")
    sent = worker.post(
        f"/applications/{case_id}/life-events",
        {"kind": "death", "person": "spouse", "event_date": "2025-06-01"},
        files={"evidence": ("death.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 303
    assert "本案未登记配偶。" in worker.get(f"/applications/{case_id}").text
    # A village head sees the section but neither form; another village gets no page at all.
    event = recorded(api, case_id, person="applicant")
    head = logged_in(server, "vh.lizhuang").get(f"/applications/{case_id}")
    assert "扶助对象死亡" in head.text
    assert 'id="life-event-decision"' not in head.text
    assert 'id="life-event-record"' not in head.text
    other = logged_in(server, "cw.hekou")
    assert other.get(f"/applications/{case_id}").status_code == 404
    other.get("/")
    assert (
        other.post(f"/life-events/{event['id']}/decision", {"decision": "confirm"}).status_code
        == 404
    )


def test_each_form_is_there_only_for_the_roles_pages_names(api: Api, server: Server) -> None:
    case_id = enrol(api)["id"]
    event = recorded(api, case_id)
    routes = {
        "/applications/{application_id}/life-events": f"/applications/{case_id}/life-events",
        "/life-events/{event_id}/decision": f"/life-events/{event['id']}/decision",
    }
    for template, path in routes.items():
        rule = PAGES[("POST", template)]
        for role in ROLES:
            page = logged_in(server, DEMO_USERS[role])
            page.get("/")
            # No evidence, no decision: refused with words on the case page, nothing changes.
            answer = page.post(path, {"kind": "death", "decision": ""})
            expected = 303 if role in rule.roles else 404
            assert answer.status_code == expected, (template, role, answer.text[:200])
    assert api.get(f"/life-events/{event['id']}", as_="au.county").json()["status"] == "pending"


def test_the_county_approver_s_inbox_lists_the_events_waiting_for_the_county(
    api: Api, server: Server, make_user: MakeUser
) -> None:
    case_id = enrol(api)["id"]
    event = recorded(api, case_id)
    link = f'href="/applications/{case_id}#life-events"'
    assert link in logged_in(server, "ca.county").get("/").text
    assert link not in logged_in(server, "cw.lizhuang").get("/").text  # not the village's to decide
    # The recorder who is also a county approver does not see their own event there.
    both = make_user(["caseworker", "county_approver"], "130123")
    own = recorded(api, enrol(api)["id"], as_=both)
    inbox = logged_in(server, both).get("/").text
    assert f'href="/applications/{own["application_id"]}#life-events"' not in inbox
    assert link in inbox
    assert decide(api, event["id"], "confirm").status_code == 200
    assert link not in logged_in(server, "ca.county").get("/").text
