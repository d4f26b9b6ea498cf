"""Flow versions (issue 5): upload, identical content, reading, activation and its audit trail;
and the proof that a running case finishes on the version it started with.

The shared session server is never activated on (activation changes, for everyone, which
version new cases start on), so its tests read version numbers relative to what is stored. The
tests that activate run a server and a database of their own, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import Api, assert_problem
from tests.flows.helpers import (
    CORPUS,
    EXAMPLE_V2,
    FLOW_ACTIVATED,
    FLOW_UPLOADED,
    MODELER_BPMN,
    MODELER_DMN,
    ROOT,
    SHIPPED,
    SHIPPED_KEYS,
    activate,
    events,
    flow_entry,
    flows,
    own_server,
    read,
    run_case,
    upload,
)

V1_CHAIN = ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county", "fo.county")
V1_SPECS = [
    "village_investigation",
    "village_cosign",
    "township_review",
    "county_verification",
    "card_payout",
]
V2_SPECS = [*V1_SPECS[:3], "township_cosign", *V1_SPECS[3:]]
NO_CHANGES = {
    "tasks_added": [],
    "tasks_removed": [],
    "tasks_renamed": [],
    "tasks_moved": [],
    "lanes_added": [],
    "lanes_removed": [],
    "tasks_removed_named": [],
}
V2_CHANGES = {**NO_CHANGES, "tasks_added": ["township_cosign"]}


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- a flow of its own key, that no program uses --------------------------------------------


def pilot(version: int) -> bytes:
    """The shipped flow under the key ``township_pilot`` (without its diagram). Version 2
    renames the township review, moves the village co-signature into the township reviewer's
    lane and drops the then empty village head lane."""
    text = SHIPPED.read_text(encoding="utf-8")
    text = re.sub(r"\s*<bpmndi:BPMNDiagram.*?</bpmndi:BPMNDiagram>", "", text, flags=re.S)
    for old, new in (
        ('processRef="emergency_consolation"', 'processRef="township_pilot"'),
        ('<bpmn:process id="emergency_consolation"', '<bpmn:process id="township_pilot"'),
    ):
        assert text.count(old) == 1
        text = text.replace(old, new)
    if version == 2:
        text = text.replace('name="乡镇审查"', 'name="乡镇初审"').replace(
            'value="Township review"', 'value="Township first review"'
        )
        village_head = re.search(
            r'\s*<bpmn:lane id="Lane_village_head".*?</bpmn:lane>', text, flags=re.S
        )
        assert village_head is not None
        text = text.replace(village_head.group(0), "")
        text = text.replace(
            "<bpmn:flowNodeRef>township_review</bpmn:flowNodeRef>",
            "<bpmn:flowNodeRef>village_cosign</bpmn:flowNodeRef>\n"
            "        <bpmn:flowNodeRef>gw_village_cosign</bpmn:flowNodeRef>\n"
            "        <bpmn:flowNodeRef>township_review</bpmn:flowNodeRef>",
        )
    return text.encode()


def stored_pilot(api: Api, version: int) -> dict:
    """Upload a pilot version (or find it stored by an earlier test) and return its body."""
    response = upload(api, (f"township_pilot_v{version}.bpmn", pilot(version)))
    assert response.status_code in (200, 201), response.text
    return response.json()


# --- upload, identical content, reading -------------------------------------------------------


def test_an_admin_uploads_a_new_version_and_the_same_content_again_returns_it(api: Api) -> None:
    before = flow_entry(api, "emergency_consolation")
    content = EXAMPLE_V2.read_bytes()
    response = upload(
        api, (EXAMPLE_V2.name, content), note="乡镇分管领导签字 township co-signature"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    assert body["key"] == "emergency_consolation"
    assert body["version"] == before["latest_version"] + 1
    assert body["sha256"] == sha256(content)
    assert body["uploaded_by"] == "admin"
    assert body["note"] == "乡镇分管领导签字 township co-signature"
    assert body["decisions"] == []
    assert (body["active"], body["programs"]) == (False, ["emergency_consolation"])
    assert "township_cosign" in body["changes"]["tasks_added"]
    tasks = {task["id"]: (task["name"], task["name_en"], task["lane"]) for task in body["tasks"]}
    assert tasks["township_cosign"] == (
        "乡镇分管领导签字",
        "Township co-signature",
        "township_reviewer",
    )
    assert sorted(body["tasks_by_lane"]["township_reviewer"]) == [
        "township_cosign",
        "township_review",
    ]

    listed = flow_entry(api, "emergency_consolation")
    assert listed["latest_version"] == body["version"]
    assert listed["active_version"] == before["active_version"]  # uploading activates nothing
    assert listed["programs"] == ["emergency_consolation"]
    [summary] = [v for v in listed["versions"] if v["version"] == body["version"]]
    assert summary["sha256"] == sha256(content)
    assert (summary["uploaded_by"], summary["active"]) == ("admin", False)
    assert summary["note"] == "乡镇分管领导签字 township co-signature"

    again = upload(api, (EXAMPLE_V2.name, content), note="the same file again")
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert again.json()["version"] == body["version"]
    assert again.json()["sha256"] == body["sha256"]
    assert flow_entry(api, "emergency_consolation") == listed  # still the same versions


def test_the_shipped_flows_are_version_one_of_their_keys(api: Api) -> None:
    listed = {flow["key"]: flow for flow in flows(api)}
    assert set(SHIPPED_KEYS) <= set(listed)
    for key in SHIPPED_KEYS:
        assert listed[key]["versions"][0]["version"] == 1, listed[key]
        assert listed[key]["active_version"] == 1  # nothing is activated on this server
    assert listed["hardship_relief"]["programs"] == ["hardship_relief"]
    assert listed["special_assistance"]["programs"] == ["special_assistance"]
    # The yearly review flow is bound to the program whose review it is.
    assert listed["special_assistance_review"]["programs"] == ["special_assistance"]

    version = api.get("/flows/hardship_relief/versions/1", as_="au.county")
    assert version.status_code == 200, version.text
    body = version.json()
    assert (body["key"], body["version"], body["changes"]) == ("hardship_relief", 1, None)
    assert (body["active"], body["programs"]) == (True, ["hardship_relief"])
    assert body["sha256"] == sha256((ROOT / "workflows" / "hardship_relief.bpmn").read_bytes())


def test_the_bpmn_comes_back_byte_identical(api: Api) -> None:
    shipped = api.get("/flows/emergency_consolation/versions/1/bpmn", as_="au.county")
    assert shipped.status_code == 200, shipped.text
    assert shipped.headers["content-type"].startswith("application/xml")
    assert shipped.content == SHIPPED.read_bytes()

    uploaded = upload(api, read(EXAMPLE_V2))  # stored by the first test, or now
    assert uploaded.status_code in (200, 201), uploaded.text
    number = uploaded.json()["version"]
    download = api.get(f"/flows/emergency_consolation/versions/{number}/bpmn", as_="admin")
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("application/xml")
    assert download.content == EXAMPLE_V2.read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/flows",
        "/flows/emergency_consolation/versions/1",
        "/flows/special_assistance/versions/1/bpmn",
    ],
)
def test_flows_are_read_by_admins_and_auditors_only(api: Api, path: str) -> None:
    for reader in ("admin", "au.county"):
        assert api.get(path, as_=reader).status_code == 200
    for user in ("cw.lizhuang", "ca.county", "fo.county"):
        assert_problem(api.get(path, as_=user), 403, "forbidden")
    assert_problem(api.get(path, as_=None), 401)


@pytest.mark.parametrize(
    "path",
    [
        "/flows/emergency_consolation/versions/999",
        "/flows/emergency_consolation/versions/999/bpmn",
        "/flows/no_such_flow/versions/1",
        "/flows/no_such_flow/versions/1/bpmn",
    ],
)
def test_an_unknown_key_or_version_is_404(api: Api, path: str) -> None:
    assert_problem(api.get(path, as_="admin"), 404)


def test_only_an_admin_uploads_or_activates(api: Api) -> None:
    before = flows(api)
    for user in ("cw.lizhuang", "au.county", "ca.county"):
        assert_problem(upload(api, read(EXAMPLE_V2), as_=user), 403, "forbidden")
        assert_problem(activate(api, "hardship_relief", 1, as_=user), 403, "forbidden")
    assert_problem(upload(api, read(EXAMPLE_V2), as_=None), 401)
    assert_problem(api.post("/flows/hardship_relief/versions/1/activate", as_=None), 401)
    assert flows(api) == before


def test_a_note_is_bounded_and_a_bpmn_file_is_required(api: Api) -> None:
    before = flows(api)
    refused = upload(api, ("township_pilot_v1.bpmn", pilot(1)), note="说" * 501)
    assert_problem(refused, 422)
    no_bpmn = api.post(
        "/flows",
        as_="admin",
        files=[("dmn", ("modeler_priority.dmn", MODELER_DMN.read_bytes(), "application/xml"))],
    )
    assert_problem(no_bpmn, 422)
    assert flows(api) == before


def test_two_bpmn_files_in_one_upload_are_refused(api: Api) -> None:
    # Either file alone is valid (and stored already): which one was meant?
    before = flows(api)
    hardship = (ROOT / "workflows" / "hardship_relief.bpmn").read_bytes()
    two_bpmn = api.post(
        "/flows",
        as_="admin",
        files=[
            ("bpmn", ("emergency_consolation.bpmn", SHIPPED.read_bytes(), "application/xml")),
            ("bpmn", ("hardship_relief.bpmn", hardship, "application/xml")),
        ],
    )
    assert_problem(two_bpmn, 422)
    assert flows(api) == before


def test_changes_name_what_was_renamed_moved_and_removed(api: Api) -> None:
    first = stored_pilot(api, 1)
    assert (first["key"], first["version"], first["changes"]) == ("township_pilot", 1, None)
    assert (first["active"], first["programs"]) == (False, [])
    second = stored_pilot(api, 2)
    assert second["version"] == 2
    assert second["changes"] == {
        **NO_CHANGES,
        "tasks_renamed": [
            {
                "id": "township_review",
                "before": "乡镇审查",
                "after": "乡镇初审",
                "before_en": "Township review",
                "after_en": "Township first review",
            }
        ],
        "tasks_moved": [
            {"id": "village_cosign", "before": "village_head", "after": "township_reviewer"}
        ],
        "lanes_removed": ["village_head"],
        # The version diff's count: the renamed review; the co-signature, its gateway, its
        # timer and its escalation end moved to the township's lane.
        "elements_added": 0,
        "elements_removed": 0,
        "elements_changed": 5,
        "decision_tables_changed": 0,
    }
    assert "village_head" not in second["lanes"]
    assert "village_head" not in second["tasks_by_lane"]
    # Read back, the version says the same.
    again = api.get("/flows/township_pilot/versions/2", as_="au.county").json()
    assert again["changes"] == second["changes"]
    assert again["tasks_by_lane"] == second["tasks_by_lane"]


def test_activation_answers_404_409_and_unchanged(api: Api) -> None:
    stored_pilot(api, 1)
    before = flows(api)
    assert_problem(activate(api, "no_such_flow", 1), 404)
    assert_problem(activate(api, "emergency_consolation", 999), 404)
    # No program uses this key, and none was named.
    assert_problem(activate(api, "township_pilot", 1), 409)
    # The active version again: nothing changes.
    same = activate(api, "hardship_relief", 1)
    assert same.status_code == 200, same.text
    assert same.json() == {
        "key": "hardship_relief",
        "version": 1,
        "program": "hardship_relief",
        "previous_version": 1,
        "changed": False,
    }
    assert flows(api) == before


def test_uploads_are_in_the_admins_county_trail(api: Api) -> None:
    stored_pilot(api, 1)
    uploaded = [e for e in events(api, FLOW_UPLOADED) if e["actor"] == "admin"]
    assert any("township_pilot" in json.dumps(e, ensure_ascii=False) for e in uploaded), uploaded
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


# --- a running case keeps its version: servers of their own ---------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _ready_case(api: Api) -> int:
    case = api.submit()
    api.attach_required(case["id"])
    return int(case["id"])


def _history(api: Api, case_id: int) -> list[str]:
    """The tasks completed on the case, in order, as its audit trail tells."""
    return [e["before"]["task"] for e in api.events(case_id) if e["action"] == "task_completed"]


def test_running_cases_finish_on_the_version_they_started_with(kind: str, tmp_path: Path) -> None:
    with own_server(kind, tmp_path) as server:
        api = server.api
        assert api is not None
        # Case A starts on v1 and gets as far as the township.
        case_a = _ready_case(api)
        assert api.case(case_a)["flow_version"] == "emergency_consolation@v1"
        assert run_case(api, case_a, V1_CHAIN[:2]) == V1_SPECS[:2]

        uploaded = upload(api, read(EXAMPLE_V2), note="乡镇分管领导签字")
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["version"] == 2
        assert uploaded.json()["changes"] == {
            **V2_CHANGES,
            # The version diff's count: the co-signature with its gateway, timer and end; the
            # element before it, which now leads to it.
            "elements_added": 4,
            "elements_removed": 0,
            "elements_changed": 1,
            "decision_tables_changed": 0,
        }
        activated = activate(api, "emergency_consolation", 2)
        assert activated.status_code == 200, activated.text
        assert activated.json() == {
            "key": "emergency_consolation",
            "version": 2,
            "program": "emergency_consolation",
            "previous_version": 1,
            "changed": True,
        }
        again = activate(api, "emergency_consolation", 2, "emergency_consolation")
        assert again.status_code == 200, again.text
        assert (again.json()["version"], again.json()["changed"]) == (2, False)

        listed = flow_entry(api, "emergency_consolation")
        assert (listed["latest_version"], listed["active_version"]) == (2, 2)
        assert {v["version"]: v["active"] for v in listed["versions"]} == {1: False, 2: True}
        assert api.get("/flows/emergency_consolation/versions/2", as_="admin").json()["active"]
        assert not api.get("/flows/emergency_consolation/versions/1", as_="admin").json()["active"]

        # Whatever a process had parsed is gone: only the stored versions remain.
        api = server.restart()

        # Case B starts on v2.
        case_b = _ready_case(api)
        assert api.case(case_b)["flow_version"] == "emergency_consolation@v2"

        # A goes on through v1: from the township straight to the county.
        assert run_case(api, case_a, V1_CHAIN[2:]) == V1_SPECS[2:]
        detail_a = api.case(case_a)
        assert (detail_a["status"], detail_a["flow_version"]) == (
            "paid",
            "emergency_consolation@v1",
        )
        assert _history(api, case_a) == V1_SPECS

        # B goes through v2: the township co-signature comes after the township review, in the
        # township reviewer's inbox.
        assert run_case(api, case_b, V1_CHAIN[:3]) == V2_SPECS[:3]
        inbox = api.get("/tasks", as_="tr.dongcheng").json()
        [cosign] = [task for task in inbox if task["application_id"] == case_b]
        assert (cosign["spec"], cosign["role"]) == ("township_cosign", "township_reviewer")
        assert (cosign["name"], cosign["name_en"]) == ("乡镇分管领导签字", "Township co-signature")
        assert api.get("/tasks", as_="ca.county", params={"application_id": case_b}).json() == []
        assert run_case(api, case_b, ("tr.dongcheng", *V1_CHAIN[3:])) == V2_SPECS[3:]
        detail_b = api.case(case_b)
        assert (detail_b["status"], detail_b["flow_version"]) == (
            "paid",
            "emergency_consolation@v2",
        )
        assert _history(api, case_b) == V2_SPECS

        # Both are in the admin's county trail.
        assert any(e["actor"] == "admin" for e in events(api, FLOW_UPLOADED))
        activations = [e for e in events(api, FLOW_ACTIVATED) if e["actor"] == "admin"]
        assert activations
        assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


def test_a_modeler_flow_is_activated_and_a_case_runs_through_it(kind: str, tmp_path: Path) -> None:
    with own_server(kind, tmp_path) as server:
        api = server.api
        assert api is not None
        uploaded = upload(api, read(MODELER_BPMN), [read(MODELER_DMN)], note="SpiffArena")
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["decisions"] == ["modeler_priority"]
        activated = activate(api, "emergency_consolation", uploaded.json()["version"])
        assert activated.status_code == 200, activated.text
        assert activated.json()["changed"] is True

        case_id = _ready_case(api)
        assert api.case(case_id)["flow_version"] == "emergency_consolation@v2"
        assert run_case(api, case_id, V1_CHAIN) == V1_SPECS
        detail = api.case(case_id)
        assert detail["status"] == "paid"
        assert detail["payout"]["status"] == "paid"
        assert _history(api, case_id) == V1_SPECS


def test_activating_a_review_flow_rebinds_the_yearly_review(kind: str, tmp_path: Path) -> None:
    review = (ROOT / "workflows" / "special_assistance_review.bpmn").read_text(encoding="utf-8")
    renamed = review.replace('name="年审"', 'name="年度审核"')
    assert renamed != review
    with own_server(kind, tmp_path) as server:
        api = server.api
        assert api is not None
        # A review flow pays nothing: it is not held to the county-approval rule.
        uploaded = upload(api, ("special_assistance_review.bpmn", renamed.encode()))
        assert uploaded.status_code == 201, uploaded.text
        body = uploaded.json()
        assert (body["version"], body["programs"]) == (2, ["special_assistance"])
        assert body["changes"]["tasks_renamed"] == [
            {
                "id": "annual_review",
                "before": "年审",
                "after": "年度审核",
                "before_en": "Annual review",
                "after_en": "Annual review",
            }
        ]
        activated = activate(api, "special_assistance_review", 2)
        assert activated.status_code == 200, activated.text
        assert activated.json() == {
            "key": "special_assistance_review",
            "version": 2,
            "program": "special_assistance",
            "previous_version": 1,
            "changed": True,
        }
        listed = flow_entry(api, "special_assistance_review")
        assert (listed["active_version"], listed["programs"]) == (2, ["special_assistance"])
        # The program's own flow is untouched.
        assert flow_entry(api, "special_assistance")["active_version"] == 1

        # The review key is exempt from the county rule at upload, but a flow that pays cannot
        # become a yearly review: activating it is refused and the binding stays.
        paying = (CORPUS / "payout_without_county.bpmn").read_text(encoding="utf-8")
        paying = paying.replace('"emergency_consolation"', '"special_assistance_review"')
        stored = upload(api, ("paying_review.bpmn", paying.encode()))
        assert stored.status_code == 201, stored.text
        refused = activate(api, "special_assistance_review", stored.json()["version"])
        assert 400 <= refused.status_code < 500, refused.text
        assert_problem(refused, refused.status_code)
        assert flow_entry(api, "special_assistance_review")["active_version"] == 2
