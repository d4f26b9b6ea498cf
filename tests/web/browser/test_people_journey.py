"""A journey of the office's first month, in a real browser (issue 19): a village head leaves;
the administrator deactivates them and hands their claimed task to a colleague, who finishes
it; the county approver reassigns another claimed task on the case page; the leaver's own
session has ended."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Api, Backend, MakeUser
from tests.fresh_county import County, approve, make_county, submit_ready
from tests.web.browser.conftest import DESKTOP, PHONE, Console, screenshot, submit


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def _village_head_task(api: Api, county: County) -> tuple[int, int]:
    """A case approved by the caseworker, its village-head task claimed by the village head."""
    case, first = submit_ready(api, county)
    task = approve(api, first, as_=county["cw"])["next_tasks"][0]["id"]
    claimed = api.post(f"/tasks/{task}/claim", as_=county["vh"])
    assert claimed.status_code == 200, claimed.text
    return int(case["id"]), int(task)


def _holder(api: Api, county: County, case_id: int) -> str | None:
    tasks = api.get(f"/applications/{case_id}", as_=county["au"]).json()["tasks"]
    return tasks[0]["claimed_by"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366x768", "390x844"])
def test_a_leaver_is_deactivated_and_their_tasks_go_to_colleagues(
    console: Console, api: Api, county: County, make_user: MakeUser, viewport: dict[str, int]
) -> None:
    colleague = make_user(["village_head"], county.village(1))
    second = make_user(["village_head"], county.village(1))
    handed_case, handed_task = _village_head_task(api, county)
    leaver = console.login(county["vh"], viewport=viewport)

    # The administrator deactivates the leaver, handing their claimed task to a colleague.
    admin = console.login(county["admin"], viewport=viewport)
    admin.goto(console.url("/people"))
    admin.locator(f'a[href="/people/{county["vh"]}"]').click()
    admin.wait_for_url(f"**/people/{county['vh']}")
    form = admin.locator(f"form[action='/people/{county['vh']}/deactivate']")
    form.locator("select[name=hand_to]").select_option(colleague)
    form.locator("textarea[name=reason]").fill("调往乡镇工作")
    answer = submit(admin, form.locator("button[type=submit]"))
    assert answer.status == 303, answer.status
    expect(admin.locator("#main")).to_contain_text("用户已停用")
    expect(admin.locator(f"form[action='/people/{county['vh']}/reactivate']")).to_be_visible()
    if viewport == DESKTOP:
        screenshot(admin, "people-deactivated")
    assert _holder(api, county, handed_case) == colleague

    # The leaver's open page ends with their session: the next page is the login form.
    leaver.goto(console.url("/"))
    leaver.wait_for_url("**/login**")

    # The colleague finds the task in their inbox, already theirs, and approves it.
    taker = console.login(colleague, viewport=viewport)
    taker.locator(f'a[href="/applications/{handed_case}"]').first.click()
    taker.wait_for_url(f"**/applications/{handed_case}")
    form = taker.locator("form#decision")
    form.locator("input[name=decision][value=approve]").check()
    form.locator("textarea[name=comment]").fill("情况属实")
    assert submit(taker, form.locator("button[type=submit]").first).status < 400
    completed = api.get(f"/audit/cases/{handed_case}", as_=county["au"]).json()["items"]
    done = [e for e in completed if e["action"] == "task_completed" and e["task_id"] == handed_task]
    assert done[0]["actor"] == colleague

    # The county approver reassigns another claimed task on the case page, with a reason.
    other_case, other_task = _village_head_task_of(api, county, colleague)
    approver = console.login(county["ca"], viewport=viewport)
    approver.goto(console.url(f"/applications/{other_case}"))
    _reassign(approver, other_task, to=second, reason="原经办人休假")
    assert _holder(api, county, other_case) == second
    events = api.get(f"/audit/cases/{other_case}", as_=county["au"]).json()["items"]
    moved = [e for e in events if e["action"] == "task_reassigned"]
    assert moved[-1]["comment"] == "原经办人休假"
    assert moved[-1]["actor"] == county["ca"]


def _village_head_task_of(api: Api, county: County, holder: str) -> tuple[int, int]:
    case, first = submit_ready(api, county)
    task = approve(api, first, as_=county["cw"])["next_tasks"][0]["id"]
    assert api.post(f"/tasks/{task}/claim", as_=holder).status_code == 200
    return int(case["id"]), int(task)


def _reassign(page: Page, task_id: int, *, to: str, reason: str) -> None:
    form = page.locator(f"form:has(input[name=task_id][value='{task_id}'])")
    page.locator("details.reassign summary").first.click()
    form.locator("select[name=to]").select_option(to)
    form.locator("textarea[name=reason]").fill(reason)
    answer = submit(page, form.locator("button[type=submit]"))
    assert answer.status == 303, answer.status
