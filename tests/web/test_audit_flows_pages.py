"""The auditor's trail page (/audit) and the administrator's flow pages (/flows), over HTTP.

What they show and refuse, on SQLite and PostgreSQL. Uploads on the shared server use a new
flow key no program uses (nothing changes for the other tests); activation changes which
flow every new case starts on, so the test that activates has a server of its own.
"""

from __future__ import annotations

import html
import re
import uuid
from pathlib import Path

import httpx
import pytest

from service.web import flows as web_flows
from tests.conftest import Api, Server
from tests.flows.helpers import (
    CORPUS,
    EXAMPLE_V2,
    MODELER_BPMN,
    MODELER_DMN,
    flow_entry,
    flows,
    own_server,
)
from tests.web import pages
from tests.web.pages import Page, logged_in

BOM = b"\xef\xbb\xbf"


def _bpmn_files(name: str, content: bytes, dmns: tuple[Path, ...] = ()) -> dict[str, object]:
    files = [("bpmn", (name, content, "application/octet-stream"))]
    files += [("dmn", (dmn.name, dmn.read_bytes(), "application/octet-stream")) for dmn in dmns]
    return {"files": files}


def _renamed(content: bytes, key: str) -> bytes:
    """The example flow under another process id: a flow key no program uses."""
    text = content.decode("utf-8")
    text = text.replace('processRef="emergency_consolation"', f'processRef="{key}"')
    text = text.replace('<bpmn:process id="emergency_consolation"', f'<bpmn:process id="{key}"')
    assert f'id="{key}"' in text
    return text.encode("utf-8")


def _upload(
    page: Page, name: str, content: bytes, note: str = "", dmns: tuple[Path, ...] = ()
) -> httpx.Response:
    page.get("/flows")
    return page.post("/flows/upload", {"note": note}, **_bpmn_files(name, content, dmns))


# --- who may open the pages ---------------------------------------------------------------


def test_the_pages_are_not_found_for_other_roles(server: Server) -> None:
    caseworker = logged_in(server, "cw.lizhuang")
    for path in ("/audit", "/audit/verify", "/audit/events.csv", "/audit/events.xlsx", "/flows"):
        assert caseworker.get(path).status_code == 404, path
    assert caseworker.get("/flows/emergency_consolation/versions/1").status_code == 404
    assert caseworker.get("/flows/emergency_consolation/versions/1/bpmn").status_code == 404
    # The API lets an auditor read flows but only an administrator upload or activate them:
    # the flow pages are the administrator's.
    auditor = logged_in(server, "au.county")
    assert auditor.get("/flows").status_code == 404
    assert auditor.get("/flows/emergency_consolation/versions/1/bpmn").status_code == 404
    admin = pages.english(logged_in(server, "admin"))
    assert admin.get("/audit").status_code == 404
    # Nobody logged in: to the login form.
    anonymous = Page(server)
    response = anonymous.get("/audit")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


# --- /audit ------------------------------------------------------------------------------


def test_the_trail_lists_a_new_cases_events(server: Server, api: Api) -> None:
    case = api.submit()
    events = api.events(case["id"])
    assert events, "a submitted case has events"
    page = logged_in(server, "au.county")
    response = page.get(f"/audit?application_id={case['id']}")
    assert response.status_code == 200, response.text
    rows = re.findall(r'<tr class="audit-event" data-action="([a-z_]+)">', response.text)
    assert rows == [event["action"] for event in events]
    assert "application_submitted" in rows
    assert f'href="/applications/{case["id"]}"' in response.text
    for event in events:
        assert f"<td>{event['seq']}</td>" in response.text
    # Export links carry the filter.
    assert f'href="/audit/events.csv?application_id={case["id"]}"' in response.text

    # The cursor pages on after the last id: after the first event, the rest.
    rest = page.get(f"/audit?application_id={case['id']}&cursor={events[0]['id']}")
    assert rest.status_code == 200
    assert re.findall(r'data-action="([a-z_]+)"', rest.text) == [e["action"] for e in events[1:]]

    # Another user's actions only: none of this case's events are the auditor's.
    by_actor = page.get(f"/audit?application_id={case['id']}&actor=au.county")
    assert 'class="audit-event"' not in by_actor.text

    # A filter that cannot be read gets a message beside its field, and no events.
    bad = page.get("/audit?application_id=abc&from=2026-02-30")
    assert bad.status_code == 422
    assert 'id="a-application_id-error"' in bad.text
    assert 'id="a-from-error"' in bad.text
    assert 'class="audit-event"' not in bad.text


def test_the_trail_pages_on_with_a_next_link(server: Server, api: Api) -> None:
    case = api.submit()
    api.attach_required(case["id"])  # an event per document
    events = api.events(case["id"])
    assert len(events) >= 3
    page = logged_in(server, "au.county")
    seen: list[str] = []
    path: str | None = f"/audit?application_id={case['id']}&limit=1"
    while path is not None:
        response = page.get(path)
        assert response.status_code == 200, response.text
        seen += re.findall(r'<tr class="audit-event" data-action="([a-z_]+)">', response.text)
        match = re.search(r'href="([^"]+)" rel="next"', response.text)
        path = html.unescape(match.group(1)) if match else None
        if path:
            assert f"application_id={case['id']}" in path  # the filter goes along
            assert "limit=1" in path
    assert seen == [event["action"] for event in events]


def test_verifying_shows_the_chain_intact(server: Server, api: Api) -> None:
    api.submit()
    page = logged_in(server, "au.county")
    plain = page.get("/audit")
    assert "chain-ok" not in plain.text  # not computed on every page load
    assert 'hx-get="/audit/verify"' in plain.text
    verified = page.get("/audit?verify=1")
    assert verified.status_code == 200
    assert 'class="flash-ok chain-ok"' in verified.text
    fragment = page.get("/audit/verify", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "chain-ok" in fragment.text
    assert "<html" not in fragment.text


def test_the_csv_export_holds_the_cases_events_and_is_audited(server: Server, api: Api) -> None:
    case = api.submit()
    events = api.events(case["id"])
    page = logged_in(server, "au.county")
    response = page.get(f"/audit/events.csv?application_id={case['id']}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(BOM)
    lines = response.content[len(BOM) :].decode("utf-8").splitlines()
    assert lines[0].startswith("id,county,seq,at (UTC),actor")
    assert lines[0].endswith(",时间 (北京时间 UTC+8)")  # and the same time in China time, last
    assert len(lines) == 1 + len(events)
    assert {line.split(",")[0] for line in lines[1:]} == {str(e["id"]) for e in events}

    xlsx = page.get(f"/audit/events.xlsx?application_id={case['id']}")
    assert xlsx.status_code == 200
    assert xlsx.content.startswith(b"PK")

    exported = api.get(
        "/audit/events", as_="au.county", params={"action": "audit_exported", "limit": 1000}
    ).json()["items"]
    mine = [
        e["after"]
        for e in exported
        if e["actor"] == "au.county" and e["after"]["filter"] == {"application_id": case["id"]}
    ]
    assert [entry["format"] for entry in mine] == ["csv", "xlsx"]


# --- /flows ------------------------------------------------------------------------------


def test_a_refused_flow_is_listed_with_its_elements_and_nothing_is_stored(
    server: Server, api: Api
) -> None:
    before = flows(api)
    page = pages.english(logged_in(server, "admin"))
    bad = CORPUS / "script_import_os.bpmn"
    response = _upload(page, bad.name, bad.read_bytes())
    assert response.status_code == 422, response.text
    assert 'data-element="script_prepare"' in response.text
    problems = re.findall(
        r'<tr class="flow-problem" data-element="([^"]*)">(.*?)</tr>', response.text, re.S
    )
    assert any(element == "script_prepare" and "import" in row for element, row in problems)
    # The corpus file has no diagram to draw: only the list.
    assert 'id="refused-bpmn"' not in response.text

    # A modeler's file with a diagram and an unsafe script: drawn, the element marked; the
    # XML is in the page (escaped), not stored anywhere.
    modeler = MODELER_BPMN.read_text(encoding="utf-8")
    hostile = modeler.replace("reviewed = True", "import os")
    assert hostile != modeler
    response = _upload(page, "hostile.bpmn", hostile.encode("utf-8"), dmns=(MODELER_DMN,))
    assert response.status_code == 422, response.text
    assert 'data-element="village_cosign"' in response.text
    assert '<textarea hidden id="refused-bpmn"' in response.text
    assert "&lt;bpmn:definitions" in response.text
    # Drawn with each lane named by its role, in the page's language (English here).
    assert "name=&#34;Village caseworker&#34;" in response.text
    assert "name=&#34;caseworker&#34;" not in response.text
    assert re.search(
        r'data-bpmn-source="refused-bpmn" data-error="[^"]*\bvillage_cosign\b', response.text
    )
    assert "data-bpmn-url" not in response.text

    # Not well-formed: listed, not drawn.
    response = _upload(page, "malformed.bpmn", (CORPUS / "malformed.bpmn").read_bytes())
    assert response.status_code == 422
    assert "not well-formed XML" in response.text
    assert 'id="refused-bpmn"' not in response.text

    # No file chosen: a message beside the field.
    page.get("/flows")
    response = page.post(
        "/flows/upload", {"note": "x"}, files=[("bpmn", ("", b"", "application/octet-stream"))]
    )
    assert response.status_code == 422
    assert 'id="f-bpmn-error"' in response.text

    assert flows(api) == before


def test_an_uploaded_flow_gets_its_version_page(server: Server, api: Api) -> None:
    key = f"web_pages_{uuid.uuid4().hex[:8]}"
    content = _renamed(EXAMPLE_V2.read_bytes(), key)
    page = pages.english(logged_in(server, "admin"))
    response = _upload(page, "example.bpmn", content, note="乡镇分管领导签字")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/flows/{key}/versions/1"

    version = page.get(f"/flows/{key}/versions/1")
    assert version.status_code == 200
    assert "Flow version stored." in version.text  # the flash after the redirect
    assert f'data-bpmn-url="/flows/{key}/versions/1/diagram.bpmn"' in version.text
    assert f'action="/flows/{key}/versions/1/activate"' in version.text
    assert "乡镇分管领导签字" in version.text
    # The outline: tasks by lane, element ids as identifiers (not translated).
    assert '<code translate="no">township_cosign</code>' in version.text
    xml = page.get(f"/flows/{key}/versions/1/bpmn")
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xml")
    assert xml.content == content
    # The diagram's source names each step and lane in the page's language (English here).
    shown = page.get(f"/flows/{key}/versions/1/diagram.bpmn")
    assert shown.status_code == 200
    assert shown.headers["content-type"].startswith("text/plain")
    assert 'name="Township co-signature"' in shown.text
    assert 'name="Finance officer"' in shown.text
    assert 'name="finance_officer"' not in shown.text

    listing = page.get("/flows")
    assert f'id="flow-{key}"' in listing.text
    assert f'href="/flows/{key}/versions/1"' in listing.text
    entry = flow_entry(api, key)
    assert (entry["latest_version"], entry["active_version"]) == (1, None)
    assert entry["versions"][0]["sha256"][:12] in listing.text

    # The same file again: the stored version, no new one.
    again = _upload(page, "example.bpmn", content)
    assert again.status_code == 303
    assert again.headers["location"] == f"/flows/{key}/versions/1"
    assert flow_entry(api, key)["latest_version"] == 1


def test_posting_without_the_csrf_token_is_refused(server: Server, api: Api) -> None:
    before = flows(api)
    page = pages.english(logged_in(server, "admin"))
    page.get("/flows")
    response = page.post(
        "/flows/upload", {}, csrf=False, **_bpmn_files("v2.bpmn", EXAMPLE_V2.read_bytes())
    )
    assert response.status_code == 403
    response = page.post("/flows/emergency_consolation/versions/1/activate", {}, csrf=False)
    assert response.status_code == 403
    assert flows(api) == before


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_activating_a_version_makes_new_cases_start_on_it(kind: str, tmp_path: Path) -> None:
    with own_server(kind, tmp_path) as own:
        api = own.api
        assert api is not None
        page = pages.english(logged_in(api.server, "admin"))
        response = _upload(page, EXAMPLE_V2.name, EXAMPLE_V2.read_bytes(), note="v2")
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/flows/emergency_consolation/versions/2"
        version = page.get("/flows/emergency_consolation/versions/2")
        assert "Tasks added" in version.text  # what v2 changed against v1
        # The list says what the version diff counts (/flows/{key}/diff).
        assert re.search(r"\d+ added, \d+ removed, \d+ changed", page.get("/flows").text)

        # A one-time program's flow cannot run a yearly program: refused, shown, unchanged.
        refused = page.post(
            "/flows/emergency_consolation/versions/2/activate", {"program": "special_assistance"}
        )
        assert refused.status_code == 422, refused.text
        assert 'id="activation-errors"' in refused.text
        assert flow_entry(api, "emergency_consolation")["active_version"] == 1

        response = page.post("/flows/emergency_consolation/versions/2/activate", {})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/flows/emergency_consolation/versions/2"
        shown = page.get("/flows/emergency_consolation/versions/2")
        assert "Version activated" in shown.text
        assert flow_entry(api, "emergency_consolation")["active_version"] == 2
        case = api.submit()
        assert api.case(case["id"])["flow_version"] == "emergency_consolation@v2"


def test_a_version_page_says_a_task_s_fields_in_words() -> None:
    """The outline reads ``field.bank_reference = "reference required"`` to an administrator
    as words in the page's language, not as the declaration's own syntax."""
    declared = {"bank_reference": "reference required", "eligible_parents": "integer min=1 max=2"}
    assert web_flows.fields_in_words(declared, "en") == [
        "Bank transfer reference: a reference on one line, needed to approve",
        "Parents receiving the benefit: a whole number, at least 1, at most 2",
    ]
    assert web_flows.fields_in_words(declared, "zh_CN") == [
        "银行转账流水号：单行凭证号，同意时必填",
        "享受扶助人数：整数，不少于 1，不超过 2",
    ]
