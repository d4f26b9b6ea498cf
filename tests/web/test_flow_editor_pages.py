"""The flow editor's pages (issue 21 §3) over HTTP, on SQLite and PostgreSQL: /flows/{key}/edit
and /flows/new (the modeler on a version or a template), POST /flows/validate (the live check,
in the page's language) and POST /flows/{key}/edit (save as a new version, with a note).

Saves go to flow keys of the test's own (no program uses them), so no other test sees a new
version of a shipped flow. The drawing itself is tested in a browser
(tests/web/browser/test_flow_editor_journey.py).
"""

from __future__ import annotations

import html
import uuid

import httpx
import pytest

from tests.attack.rules import PAGES, ROLES
from tests.conftest import Api, Server
from tests.flows import lost_decisions, variants
from tests.flows.helpers import MODELER_BPMN, MODELER_DMN, SHIPPED, flow_entry, upload
from tests.web import pages
from tests.web.pages import DEMO_USERS, logged_in


def post_drawing(
    page: pages.Page, path: str, xml: bytes, *, csrf: bool = True, **fields: str
) -> httpx.Response:
    """What modeler.js sends: the drawing as a file, the CSRF token in X-CSRF-Token."""
    headers = {"X-CSRF-Token": page.csrf} if csrf else {}
    files = {"bpmn": ("flow.bpmn", xml, "application/xml")}
    return page.client.post(path, files=files, data=fields, headers=headers)


def own_flow(api: Api) -> str:
    """The shipped hardship flow stored under a key of the test's own: version 1."""
    key = f"edit_{uuid.uuid4().hex[:8]}"
    text = variants.under_key(variants.shipped(), key)
    assert upload(api, (f"{key}.bpmn", text.encode()), note="v1").status_code == 201
    return key


def test_the_editor_opens_the_active_version_in_the_modeler(server: Server) -> None:
    admin = logged_in(server, "admin")
    response = admin.get("/flows/emergency_consolation/edit")
    assert response.status_code == 200, response.text
    body = response.text
    assert '<script src="/static/vendor/bpmn-modeler.production.min.js" defer></script>' in body
    assert '<script src="/static/js/modeler.js" defer></script>' in body
    assert "/static/vendor/bpmn-embedded.css" in body
    assert "<script>" not in body  # strict CSP: no inline script
    # The XML to draw, escaped in a read-only textarea.
    assert 'id="editor-xml"' in body
    assert '<bpmn:process id="emergency_consolation"' in html.unescape(body)
    # The side panel, in Chinese: lane roles by their names, decisions, statuses.
    assert '<option value="village_head">村委会主任</option>' in body
    assert "本任务可作的决定" in body
    assert 'data-save-url="/flows/emergency_consolation/edit"' in body
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp


def test_a_version_is_chosen_with_version(server: Server, api: Api) -> None:
    key = own_flow(api)
    edited = variants.renamed_township_review(variants.under_key(variants.shipped(), key))
    assert upload(api, (f"{key}.bpmn", edited.encode()), note="v2").status_code == 201
    admin = logged_in(server, "admin")
    latest = admin.get(f"/flows/{key}/edit")  # no active version: the latest
    assert 'data-base="2"' in latest.text
    assert "乡镇审核" in latest.text
    first = admin.get(f"/flows/{key}/edit?version=1")
    assert 'data-base="1"' in first.text
    assert "乡镇审核" not in first.text
    assert admin.get(f"/flows/{key}/edit?version=9").status_code == 404
    assert admin.get("/flows/no_such_flow/edit").status_code == 404


def test_a_new_flow_starts_from_a_template(server: Server) -> None:
    admin = logged_in(server, "admin")
    chooser = admin.get("/flows/new")
    assert chooser.status_code == 200
    assert '<option value="hardship_relief"' in chooser.text
    assert "从模板新建流程" in chooser.text
    key = f"new_{uuid.uuid4().hex[:8]}"
    editor = admin.get("/flows/new", params={"template": "hardship_relief", "key": key})
    assert editor.status_code == 200, editor.text
    assert f'data-save-url="/flows/{key}/edit"' in editor.text
    assert 'data-base=""' in editor.text
    assert f'<bpmn:process id="{key}"' in html.unescape(editor.text)
    assert f'processRef="{key}"' in html.unescape(editor.text)
    bad = admin.get("/flows/new", params={"template": "hardship_relief", "key": "1 bad"})
    assert bad.status_code == 422
    assert "流程标识须以字母开头" in bad.text
    missing = admin.get("/flows/new", params={"template": "../programs", "key": "x"})
    assert missing.status_code == 404


def test_the_live_check_answers_in_chinese(server: Server) -> None:
    admin = logged_in(server, "admin")
    admin.get("/flows/emergency_consolation/edit")
    good = post_drawing(admin, "/flows/validate", SHIPPED.read_bytes())
    assert good.status_code == 200, good.text
    assert good.json() == {"valid": True, "problems": []}
    key = f"check_{uuid.uuid4().hex[:8]}"
    lost = lost_decisions.lost(key)
    answer = post_drawing(admin, "/flows/validate", lost.encode())
    assert answer.status_code == 200
    body = answer.json()
    assert body["valid"] is False
    [problem] = [p for p in body["problems"] if p["element"] == lost_decisions.TASK]
    assert problem["code"] == "flow-task-decisions-unrouted"
    assert "驳回" in problem["reason"]  # said in Chinese, the decisions by their names
    # Not XML: one sentence, 422.
    broken = post_drawing(admin, "/flows/validate", b"<bpmn:definitions")
    assert broken.status_code == 422
    assert broken.json()["valid"] is False
    assert broken.json()["problems"][0]["reason"]


def test_the_live_check_takes_the_base_version_s_dmn_files(server: Server, api: Api) -> None:
    key = f"dmn_{uuid.uuid4().hex[:8]}"
    text = MODELER_BPMN.read_text(encoding="utf-8").replace('"emergency_consolation"', f'"{key}"')
    stored = upload(
        api, (f"{key}.bpmn", text.encode()), [(MODELER_DMN.name, MODELER_DMN.read_bytes())]
    )
    assert stored.status_code == 201, stored.text
    admin = logged_in(server, "admin")
    admin.get(f"/flows/{key}/edit")
    alone = post_drawing(admin, "/flows/validate", text.encode())
    assert alone.json()["valid"] is False
    with_base = post_drawing(admin, "/flows/validate", text.encode(), key=key, base="1")
    assert with_base.json() == {"valid": True, "problems": []}
    # Saved from the editor, the new version keeps the DMN file.
    edited = text.replace('name="紧急慰藉"', 'name="紧急慰藉（修订）"', 1)
    saved = post_drawing(admin, f"/flows/{key}/edit", edited.encode(), note="改名", base="1")
    assert saved.status_code == 200, saved.text
    first = api.get(f"/flows/{key}/versions/1", as_="admin").json()
    second = api.get(f"/flows/{key}/versions/2", as_="admin").json()
    assert first["decisions"]
    assert second["decisions"] == first["decisions"]
    dmn = api.get(f"/flows/{key}/versions/2/dmn/{MODELER_DMN.name}", as_="admin")
    assert dmn.status_code == 200
    assert dmn.content == MODELER_DMN.read_bytes()


def test_saving_stores_a_new_version_with_its_note(server: Server, api: Api) -> None:
    key = own_flow(api)
    admin = logged_in(server, "admin")
    admin.get(f"/flows/{key}/edit")
    edited = variants.renamed_township_review(variants.under_key(variants.shipped(), key))
    saved = post_drawing(
        admin, f"/flows/{key}/edit", edited.encode(), note="乡镇审查改名", base="1"
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"location": f"/flows/{key}/versions/2"}
    versions = flow_entry(api, key)["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert api.get(f"/flows/{key}/versions/2", as_="admin").json()["note"] == "乡镇审查改名"
    page = admin.get(f"/flows/{key}/versions/2")
    assert pages.flash(page.text) == "流程版本已保存。"
    assert f'href="/flows/{key}/edit?version=2"' in page.text


def test_a_refused_save_stores_nothing_and_says_why(server: Server, api: Api) -> None:
    key = own_flow(api)
    admin = logged_in(server, "admin")
    admin.get(f"/flows/{key}/edit")
    text = variants.under_key(variants.shipped(), key).encode()
    no_note = post_drawing(admin, f"/flows/{key}/edit", text, note="  ", base="1")
    assert no_note.status_code == 422
    assert no_note.json()["problems"][0]["code"] == "flow-note-required"
    assert "说明" in no_note.json()["message"]
    long_note = post_drawing(admin, f"/flows/{key}/edit", text, note="长" * 501, base="1")
    assert long_note.status_code == 422
    lost = lost_decisions.lost(key)
    refused = post_drawing(admin, f"/flows/{key}/edit", lost.encode(), note="加会签", base="1")
    assert refused.status_code == 422
    assert any(p["element"] == lost_decisions.TASK for p in refused.json()["problems"])
    other_key = post_drawing(admin, "/flows/emergency_consolation/edit", text, note="x", base="1")
    assert other_key.status_code == 422
    assert other_key.json()["problems"][0]["code"] == "flow-key-mismatch"
    taken = post_drawing(admin, f"/flows/{key}/edit", text, note="new")  # no base: a new flow
    assert taken.status_code == 409
    assert taken.json()["problems"][0]["code"] == "flow-key-exists"
    assert [v["version"] for v in flow_entry(api, key)["versions"]] == [1]


def test_a_new_flow_is_saved_as_version_1(server: Server, api: Api) -> None:
    key = f"new_{uuid.uuid4().hex[:8]}"
    admin = logged_in(server, "admin")
    admin.get("/flows/new", params={"template": "hardship_relief", "key": key})
    text = variants.under_key(variants.shipped(), key).encode()
    saved = post_drawing(admin, f"/flows/{key}/edit", text, note="新流程")
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"location": f"/flows/{key}/versions/1"}


def test_posts_need_the_csrf_token(server: Server) -> None:
    admin = logged_in(server, "admin")
    admin.get("/flows/emergency_consolation/edit")
    refused = post_drawing(admin, "/flows/validate", SHIPPED.read_bytes(), csrf=False)
    assert refused.status_code == 403
    saved = post_drawing(
        admin, "/flows/emergency_consolation/edit", SHIPPED.read_bytes(), csrf=False, note="x"
    )
    assert saved.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_role_gates(server: Server, role: str) -> None:
    """The editor is the administrator's: anyone else gets the 404 page, as PAGES says."""
    page = logged_in(server, DEMO_USERS[role])
    for method, path in (
        ("GET", "/flows/{key}/edit"),
        ("GET", "/flows/new"),
        ("POST", "/flows/validate"),
        ("POST", "/flows/{key}/edit"),
    ):
        allowed = role in PAGES[(method, path)].roles
        url = path.format(key="emergency_consolation")
        if method == "GET":
            status = page.get(url).status_code
        else:
            page.get("/")
            status = post_drawing(page, url, SHIPPED.read_bytes(), note="x").status_code
        if allowed:
            assert status in (200, 409, 422), (method, path, status)
        else:
            assert status == 404, (method, path, status)


def test_nobody_logged_in(server: Server) -> None:
    anonymous = pages.Page(server)
    for path in ("/flows/emergency_consolation/edit", "/flows/new"):
        response = anonymous.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


def test_the_live_check_refuses_a_file_over_the_flow_limit(server: Server) -> None:
    """413 as an upload's, said in the page's language; the drawing stays in the browser."""
    limit = 2 * 1024 * 1024  # RELIEF_MAX_FLOW_BYTES of the test servers (the default)
    admin = logged_in(server, "admin")
    admin.get("/flows/emergency_consolation/edit")
    response = post_drawing(admin, "/flows/validate", b" " * (limit + 1))
    assert response.status_code == 413
    body = response.json()
    assert body["valid"] is False
    assert body["problems"][0]["code"] == "file-too-large"
    assert body["message"].startswith("文件超过")
