"""Two versions of a flow compared: the console page /flows/{key}/diff and the API's
GET /api/v1/flows/{key}/diff, over HTTP on SQLite and PostgreSQL.

Each test uploads the shipped hardship relief flow under a key of its own (no program uses
it: nothing changes for other tests), then an edit of it: reject and return swapped on the
village investigation's gateway, the township review renamed, a township co-signature dropped
onto the flow after the village committee's co-signature.
"""

from __future__ import annotations

import html
import re
import uuid

import pytest

from tests.attack.rules import PAGES, ROLES
from tests.conftest import Api, Server
from tests.flows import variants
from tests.flows.helpers import upload
from tests.flows.variants import REJECT, RETURN
from tests.web import pages
from tests.web.pages import DEMO_USERS, logged_in


def _two_versions(api: Api) -> str:
    key = f"diff_{uuid.uuid4().hex[:8]}"
    first = variants.under_key(variants.shipped(), key)
    for number, text in ((1, first), (2, variants.edited(key))):
        response = upload(api, (f"{key}.bpmn", text.encode()), note=f"v{number}")
        assert response.status_code == 201, response.text
        assert response.json()["version"] == number
    return key


def _text(page_html: str) -> str:
    """What the page says, tags dropped."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_html)))


@pytest.fixture
def key(api: Api) -> str:
    return _two_versions(api)


def test_the_page_names_the_changes_in_chinese(server: Server, key: str) -> None:
    page = logged_in(server, "admin")
    response = page.get(f"/flows/{key}/diff")
    assert response.status_code == 200, response.text
    body = response.text
    said = _text(body)
    # By default: the latest version against the one before it.
    assert "v1 → v2" in said
    # The new task by its Chinese name and lane, its generated id small beside it, as written.
    added = re.search(
        r'<li class="diff-element diff-added" data-element="Activity_0x7k2m1">(.*?)</li>',
        body,
        re.S,
    )
    assert added, body
    assert "乡镇会签" in added.group(1)
    assert "乡镇审核人" in _text(added.group(1)) or "乡镇" in _text(added.group(1))
    assert '<code class="diff-id" translate="no">Activity_0x7k2m1</code>' in added.group(1)
    assert "目录默认期限" in _text(added.group(1))  # no timer: the catalogue's deadline
    # The renamed task: both names.
    renamed = re.search(r'data-element="township_review">(.*?)</li>', body, re.S)
    assert renamed
    assert "乡镇审查" in renamed.group(1)
    assert "乡镇审核" in renamed.group(1)
    # The swap: the gateway after 村调查, each branch with its condition before and after.
    gateway = re.search(r'data-element="gw_village_investigation">(.*?)</li>', body, re.S)
    assert gateway
    words = _text(gateway.group(1))
    assert "村调查之后的排他网关" in words
    assert "去往“驳回”的分支" in words
    assert "去往“补正材料”的分支" in words
    assert f"{REJECT} → 改为 {RETURN}" in words  # 改为: the arrow, for screen readers
    assert f"{RETURN} → 改为 {REJECT}" in words
    # The diagrams, marked: removed and changed on the earlier one, added and changed later.
    assert f'data-bpmn-url="/flows/{key}/versions/1/diagram.bpmn"' in body
    assert f'data-bpmn-url="/flows/{key}/versions/2/diagram.bpmn"' in body
    added_ids = re.search(r'data-added="([^"]*)"', body)
    assert added_ids
    assert {"Activity_0x7k2m1", "Flow_1q2w3e4"} <= set(added_ids.group(1).split())
    # The approve branch bpmn-js re-targeted to the new task: changed on the earlier diagram,
    # said once with where it led and where it leads now.
    changed_ids = re.search(r'id="diagram-from"[^>]*?data-changed="([^"]*)"', body, re.S)
    assert changed_ids
    assert "Flow_cosign_approve" in changed_ids.group(1).split()
    cosign = re.search(r'data-element="gw_village_cosign">(.*?)</li>', body, re.S)
    assert cosign
    assert "分支“同意”改了去向 乡镇审查 → 改为 乡镇会签" in _text(cosign.group(1))
    assert "新增" in said
    assert "删除" in said
    assert "修改" in said
    # No English left on the Chinese page's own words.
    for english in ("Added elements", "Changed elements", "Branch to", "Deadline"):
        assert english not in said


def test_the_page_in_english_and_chosen_versions(server: Server, key: str) -> None:
    page = pages.english(logged_in(server, "admin"))
    response = page.get(f"/flows/{key}/diff?from=2&to=1")
    assert response.status_code == 200, response.text
    said = _text(response.text)
    assert "v2 → v1" in said
    assert "Township co-signature" in said  # removed, going back from v2 to v1
    same = page.get(f"/flows/{key}/diff?from=2&to=2")
    assert same.status_code == 200
    assert "A version compared with itself: nothing changed." in _text(same.text)


def test_the_versions_link_to_the_diff(server: Server, api: Api, key: str) -> None:
    page = logged_in(server, "admin")
    href = f'href="/flows/{key}/diff?to=2"'
    version = page.get(f"/flows/{key}/versions/2").text
    assert href in version
    # The version page names the task it added, its generated id beside the name.
    assert '乡镇会签 <code class="diff-id" translate="no">Activity_0x7k2m1</code>' in version
    listing = page.get("/flows").text
    assert href in listing
    # The list's summary of what v2 changed is the diff's, stored at upload: the swapped
    # conditions count (the tasks-and-lanes summary said "no task or lane changed" for them).
    row = re.search(rf'<a href="/flows/{key}/versions/2">v2</a>.*?</tr>', listing, re.S)
    assert row
    assert "新增 1 个，删除 0 个，修改 3 个" in _text(row.group(0))
    changes = api.get(f"/flows/{key}/versions/2", as_="admin").json()["changes"]
    assert (changes["elements_added"], changes["elements_removed"]) == (1, 0)
    assert changes["elements_changed"] == 3
    assert changes["tasks_added"] == ["Activity_0x7k2m1"]
    assert f"/flows/{key}/diff?" not in page.get(f"/flows/{key}/versions/1").text


def test_unknown_versions_and_keys_are_not_found(server: Server, api: Api, key: str) -> None:
    page = logged_in(server, "admin")
    assert page.get(f"/flows/{key}/diff?from=1&to=9").status_code == 404
    assert page.get("/flows/no_such_flow/diff").status_code == 404
    assert page.get(f"/flows/{key}/diff?from=0").status_code == 422
    for path in (f"/flows/{key}/diff?from=9&to=1", "/flows/no_such_flow/diff"):
        response = api.get(path, as_="admin")
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "flow-version-number-not-found"


def test_the_api_diff(api: Api, key: str) -> None:
    response = api.get(f"/flows/{key}/diff", as_="au.county", params={"from": 1, "to": 2})
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["key"], found["from_version"], found["to_version"]) == (key, 1, 2)
    [added] = found["added"]
    assert (added["id"], added["name"], added["name_en"], added["lane"]) == (
        "Activity_0x7k2m1",
        "乡镇会签",
        "Township co-signature",
        "township_reviewer",
    )
    changed = {element["id"]: element for element in found["changed"]}
    assert set(changed) == {"gw_village_investigation", "township_review", "gw_village_cosign"}
    branches = {
        c["target"]["id"]: c
        for c in changed["gw_village_investigation"]["changes"]
        if c["attribute"] == "flow"
    }
    assert branches["end_rejected"]["condition_before"] == REJECT
    assert branches["end_rejected"]["condition_after"] == RETURN
    assert branches["correction"]["condition_after"] == REJECT
    [name] = changed["township_review"]["changes"]
    assert (name["attribute"], name["before"], name["after"]) == ("name", "乡镇审查", "乡镇审核")
    assert found["removed"] == []
    # Defaults: the latest against the one before; a version with itself changes nothing.
    assert api.get(f"/flows/{key}/diff", as_="admin").json()["from_version"] == 1
    same = api.get(f"/flows/{key}/diff", as_="admin", params={"from": 2, "to": 2}).json()
    assert (same["added"], same["removed"], same["changed"]) == ([], [], [])


@pytest.mark.parametrize("role", ROLES)
def test_role_gates(server: Server, api: Api, key: str, role: str) -> None:
    """The page is the administrator's (like the other flow pages); the API's diff is also
    the auditors', like a version's metadata."""
    username = DEMO_USERS[role]
    allowed_page = role in PAGES[("GET", "/flows/{key}/diff")].roles
    page = logged_in(server, username)
    assert page.get(f"/flows/{key}/diff").status_code == (200 if allowed_page else 404)
    expected_api = 200 if role in ("admin", "auditor") else 403
    assert api.get(f"/flows/{key}/diff", as_=username).status_code == expected_api


def test_nobody_logged_in(server: Server, key: str) -> None:
    anonymous = pages.Page(server)
    response = anonymous.get(f"/flows/{key}/diff")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_a_deleted_version_is_skipped_by_the_defaults(api: Api, key: str) -> None:
    """v3 stored, v2 deleted (never activated): v3 is compared with v1 by default, and naming
    the deleted version is 404 with its own code."""
    third = variants.renamed_township_review(variants.under_key(variants.shipped(), key))
    response = upload(api, (f"{key}.bpmn", third.encode()), note="v3")
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 3
    deleted = api.client.delete(f"/flows/{key}/versions/2", headers=api.headers("admin"))
    assert deleted.status_code == 204, deleted.text
    found = api.get(f"/flows/{key}/diff", as_="admin").json()
    assert (found["from_version"], found["to_version"]) == (1, 3)
    assert [element["id"] for element in found["changed"]] == ["township_review"]
    gone = api.get(f"/flows/{key}/diff", as_="admin", params={"from": 2, "to": 3})
    assert gone.status_code == 404
    assert gone.json()["code"] == "flow-version-deleted"


def test_the_version_page_names_removed_moved_and_renamed_tasks(server: Server, api: Api) -> None:
    """What a version changed, on its page: a removed task by its name (its generated id
    small beside it), a moved one likewise, a rename of the English name alone shown in
    English on the Chinese page (its Chinese name stayed: '乡镇审查 → 乡镇审查' said nothing)."""
    key = f"diff_{uuid.uuid4().hex[:8]}"
    first = variants.task_dropped_on_flow(variants.under_key(variants.shipped(), key))
    second = variants.township_review_renamed_in_english(
        variants.moved_township_review(variants.under_key(variants.shipped(), key))
    )
    for number, text in ((1, first), (2, second)):
        response = upload(api, (f"{key}.bpmn", text.encode()))
        assert response.status_code == 201, response.text
        assert response.json()["version"] == number
    stored = api.get(f"/flows/{key}/versions/2", as_="admin").json()["changes"]
    assert stored["tasks_removed_named"] == [
        {"id": "Activity_0x7k2m1", "name": "乡镇会签", "name_en": "Township co-signature"}
    ]
    page = logged_in(server, "admin")
    body = page.get(f"/flows/{key}/versions/2").text
    facts = re.search(r'<dl class="flow-changes">(.*?)</dl>', body, re.S)
    assert facts
    said = _text(facts.group(1))
    assert "乡镇会签 Activity_0x7k2m1" in said
    assert "Township review → Township check township_review" in said
    assert "乡镇审查 township_review : 乡镇审查人员 → 县审核认定人员" in said
    english = _text(pages.english(page).get(f"/flows/{key}/versions/2").text)
    assert "Township co-signature Activity_0x7k2m1" in english
    assert "Township review → Township check township_review" in english
