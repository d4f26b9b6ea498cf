"""The case page's reassign form (改派, issue 19): a county approver sees who holds each open
task and hands a claimed one to a colleague; a refusal is said in Chinese on the page."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from tests.conftest import Api, Backend, MakeUser, Server
from tests.fresh_county import County, make_county, submit_ready
from tests.web.pages import logged_in


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def _flash(html: str) -> str:
    match = re.search(r'<p class="flash-(?:ok|error)">([^<]*)</p>', html)
    return html_lib.unescape(match.group(1)) if match else ""


def test_the_county_approver_reassigns_a_claimed_task_from_the_case_page(
    server: Server, api: Api, county: County, make_user: MakeUser
) -> None:
    colleague = make_user(["caseworker"], county.village(1))
    case, task_id = submit_ready(api, county)
    path = f"/applications/{case['id']}"

    page = logged_in(server, county["ca"])
    shown = page.get(path).text
    assert "认领人" in shown
    assert "未认领" in shown
    assert 'action="' + path + '/reassign"' not in shown  # free and on time: nothing to move

    claimed = api.post(f"/tasks/{task_id}/claim", as_=county["cw"])
    assert claimed.status_code == 200, claimed.text
    shown = page.get(path).text
    assert county["cw"] in shown  # the holder, on the task's row
    assert f'action="{path}/reassign"' in shown
    assert f'<option value="{colleague}">' in shown
    assert f'<option value="{county["cw"]}">' not in shown  # the holder is not offered
    assert "改派原因" in shown

    # Without a reason: refused, in Chinese, and nothing moves.
    refused = page.post(f"{path}/reassign", {"task_id": task_id, "to": colleague, "reason": " "})
    assert refused.status_code == 303
    assert _flash(page.get(path).text) == "请填写原因（1 至 500 个字符）。"  # the catalogue's words
    # To someone who may not take it (the village head): refused, in Chinese.
    page.post(f"{path}/reassign", {"task_id": task_id, "to": county["vh"], "reason": "休假"})
    assert _flash(page.get(path).text).startswith("此人不能办理该待办")
    assert api.task_for(case["id"], as_=county["cw"])["id"] == task_id  # still the holder's

    done = page.post(f"{path}/reassign", {"task_id": task_id, "to": colleague, "reason": "休假"})
    assert done.status_code == 303
    after = page.get(path).text
    assert _flash(after) == "待办已改派。"
    assert "待办改派" in after  # the timeline
    assert api.task_for(case["id"], as_=colleague)["id"] == task_id

    # A caseworker's page offers no reassigning; a post is refused.
    worker = logged_in(server, county["cw"])
    assert f'action="{path}/reassign"' not in worker.get(path).text
    worker.post(f"{path}/reassign", {"task_id": task_id, "to": county["cw"], "reason": "x"})
    assert _flash(worker.get(path).text).startswith("只有县审批人员")
    assert api.task_for(case["id"], as_=colleague)["id"] == task_id
