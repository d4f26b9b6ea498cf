"""The flow editor's side panel as a county administrator uses it (issue 21 §3), in Chromium on
SQLite and PostgreSQL: a gateway branch set to "no condition (default)" is the gateway's
default; each panel edit is one undo step, with undo and redo buttons (a phone has no Ctrl+Z);
a task keeps at least one decision; a taken key is refused on the new-flow form; and every
edit made in the panel on a new flow survives its save (the stored BPMN, the reopened editor).

The tests read the drawing through ``window.reliefModeler`` (static/js/modeler.js).
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.web.browser.conftest import PHONE, Console, follow
from tests.web.browser.test_flow_editor_journey import (
    checked_again,
    checks,
    drawing,
    element_xml,
    open_editor,
    select,
)

UNDO_STEPS = """() => { const s = window.reliefModeler.get('commandStack');
    return new Set(s._stack.slice(0, s._stackIdx + 1).map(a => a.id)).size; }"""


def gateway_tag(xml: str, gateway: str) -> str:
    found = re.search(rf'<bpmn:exclusiveGateway id="{gateway}"[^>]*>', xml)
    assert found, gateway
    return found.group(0)


def test_no_condition_makes_the_branch_the_gateway_s_default(console: Console) -> None:
    """The option says "default branch": choosing it makes the flow the gateway's default (the
    live check accepts it); a decision chosen again takes the default back."""
    admin = console.login("admin")
    editor = open_editor(console, admin)
    select(admin, "gw_village_cosign")
    rows = admin.locator("#p-gateway-flows select")
    count = checks(admin)
    rows.nth(1).select_option("")  # the reject branch (to 驳回)
    checked_again(admin, count)
    expect(editor).to_have_attribute("data-valid", "true")
    expect(admin.locator("#editor-problem-list li")).to_have_count(0)
    xml = drawing(admin)
    assert 'default="Flow_cosign_reject"' in gateway_tag(xml, "gw_village_cosign")
    assert "conditionExpression" not in element_xml(xml, "sequenceFlow", "Flow_cosign_reject")
    # Shown as the default when selected again.
    select(admin, "Flow_cosign_reject")
    select(admin, "gw_village_cosign")
    expect(rows.nth(1)).to_have_value("")

    rows.nth(1).select_option("reject")
    xml = drawing(admin)
    assert "default=" not in gateway_tag(xml, "gw_village_cosign")
    assert "decision == 'reject'" in element_xml(xml, "sequenceFlow", "Flow_cosign_reject")
    assert console.report() == ""


def test_each_panel_edit_is_one_undo_step_with_buttons(console: Console) -> None:
    """A deadline (a timer, its escalation end and their names) added in the panel is undone by
    one tap of 撤销 and redone by one of 重做, at 390 px; so is a status, a gateway branch."""
    admin = console.login("admin", viewport=PHONE)
    open_editor(console, admin)
    undo = admin.locator("#editor-canvas [data-command='undo']")
    redo = admin.locator("#editor-canvas [data-command='redo']")
    expect(undo).to_have_text("撤销")
    expect(redo).to_have_text("重做")
    expect(undo).to_be_disabled()
    expect(redo).to_be_disabled()

    select(admin, "village_cosign")
    admin.locator("#p-deadline").uncheck()
    assert 'id="overdue_village_cosign"' not in drawing(admin)
    admin.locator("#p-deadline-step").fill("township_review")
    admin.locator("#p-deadline").check()
    xml = drawing(admin)
    timer = element_xml(xml, "boundaryEvent", "overdue_village_cosign")
    assert "deadline('township_review')" in timer
    assert admin.evaluate(UNDO_STEPS) == 2

    undo.click()  # the deadline added: gone whole, timer and end
    xml = drawing(admin)
    assert 'id="overdue_village_cosign"' not in xml
    assert 'id="escalated_village_cosign"' not in xml
    expect(redo).to_be_enabled()
    undo.click()  # the deadline removed: back as it was
    xml = drawing(admin)
    timer = element_xml(xml, "boundaryEvent", "overdue_village_cosign")
    assert "deadline('village_cosign')" in timer
    assert 'id="escalated_village_cosign"' in xml
    expect(undo).to_be_disabled()
    redo.click()
    assert 'id="overdue_village_cosign"' not in drawing(admin)

    select(admin, "escalated_village_investigation")
    admin.locator("#p-status").select_option("ended")
    assert '<bpmn:endEvent id="end_ended"' in drawing(admin)
    select(admin, "gw_village_cosign")
    admin.locator("#p-gateway-flows select").nth(1).select_option("return")
    steps = admin.evaluate(UNDO_STEPS)
    undo.click()
    flow = element_xml(drawing(admin), "sequenceFlow", "Flow_cosign_reject")
    assert "decision == 'reject'" in flow
    assert 'name="驳回"' in flow
    assert '"Reject"' in flow
    undo.click()
    xml = drawing(admin)
    assert 'id="escalated_village_investigation"' in xml
    assert "end_ended" not in xml
    assert admin.evaluate(UNDO_STEPS) == steps - 2
    assert console.report() == ""


def test_a_task_keeps_at_least_one_decision(console: Console) -> None:
    """Unticking the last decision would declare none, which means all three again: it stays
    ticked and the panel says why."""
    admin = console.login("admin")
    open_editor(console, admin)
    select(admin, "village_cosign")
    admin.locator('[data-decision="reject"]').uncheck()
    admin.locator('[data-decision="return"]').uncheck()
    admin.locator('[data-decision="approve"]').click()
    expect(admin.locator('[data-decision="approve"]')).to_be_checked()
    expect(admin.locator("#p-decisions-error")).to_have_text("任务至少须提供一个决定。")
    task = element_xml(drawing(admin), "userTask", "village_cosign")
    assert 'name="decision.approve"' in task
    assert "decision.reject" not in task
    assert "decision.return" not in task
    assert console.report() == ""


def test_the_gateway_s_branches_are_as_wide_as_the_panel(console: Console) -> None:
    for viewport in (None, PHONE):
        admin = console.login("admin", viewport=viewport)
        open_editor(console, admin)
        select(admin, "gw_village_cosign")
        panel = admin.locator("#panel-gateway").bounding_box()
        branch = admin.locator("#p-gateway-flows select").first.bounding_box()
        assert panel is not None
        assert branch is not None
        assert branch["width"] >= panel["width"] - 1, (branch, panel)
        overflow = admin.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
    assert console.report() == ""


def fill(page: Page, selector: str, value: str) -> None:
    page.locator(selector).fill(value)
    page.locator(selector).press("Tab")


def test_a_new_flow_from_a_template_keeps_every_panel_edit(console: Console) -> None:
    """/flows/new names the templates in Chinese and refuses a taken key on its form; under a
    new key the admin edits a lane's role, a task's names, decisions, fields and deadline, a
    gateway's default branch and an end's status (revoked → ended), saves with a note, and the
    stored BPMN and the reopened editor hold every edit."""
    admin = console.login("admin")
    admin.goto(console.url("/flows/new"))
    chooser = admin.locator("#f-template")
    expect(chooser.locator("option[value='hardship_relief']")).to_have_text(
        "特困救助（hardship_relief）"
    )
    chooser.select_option("hardship_relief")
    admin.locator("#f-key").fill("emergency_consolation")
    console.expect_status(409, "/flows/new?template=hardship_relief&key=emergency_consolation")
    follow(admin, admin.locator("form[action='/flows/new'] button[type=submit]"))
    expect(admin.locator("#f-key-error")).to_have_text(
        "流程 emergency_consolation 已存在，请改为编辑该流程。"
    )
    expect(admin.locator("#flow-editor")).to_have_count(0)

    key = f"county_{uuid.uuid4().hex[:8]}"
    admin.locator("#f-key").fill(key)
    follow(admin, admin.locator("form[action='/flows/new'] button[type=submit]"))
    editor = admin.locator("#flow-editor")
    expect(editor).to_have_attribute("data-ready", "true")
    expect(editor).to_have_attribute("data-valid", "true")

    select(admin, "Lane_township_reviewer")
    admin.locator("#p-role").select_option("county_approver")
    select(admin, "township_review")
    fill(admin, "#p-name-zh", "乡镇复核")
    fill(admin, "#p-name-en", "Township check")
    admin.locator('[data-decision="reject"]').uncheck()
    fill(admin, '[data-decision-label="return"]', "退回重填 | Send back")
    fill(admin, "#p-fields", "visit_date = date required\nhouseholds = integer min=1")
    admin.locator("#p-deadline").uncheck()
    select(admin, "gw_village_cosign")
    count = checks(admin)
    admin.locator("#p-gateway-flows select").nth(2).select_option("")  # return: the default
    select(admin, "end_revoked")
    admin.locator("#p-status").select_option("ended")
    checked_again(admin, count)
    expect(editor).to_have_attribute("data-valid", "true")

    admin.locator("#f-note").fill("县里自定的复核流程")
    follow(admin, admin.locator("#editor-save button[type=submit]"))
    admin.wait_for_url(re.compile(rf"/flows/{key}/versions/1$"))
    expect(admin.locator("#main")).to_contain_text("县里自定的复核流程")

    stored = admin.request.get(console.url(f"/flows/{key}/versions/1/bpmn"))
    assert stored.status == 200
    xml = stored.text()
    assert f'<bpmn:process id="{key}"' in xml
    assert re.search(r'<bpmn:lane id="Lane_township_reviewer" name="county_approver"', xml)
    task = element_xml(xml, "userTask", "township_review")
    assert 'name="乡镇复核"' in task
    assert 'name="name.en" value="Township check"' in task
    assert 'name="decision.approve" value="同意 | Approve"' in task
    assert 'name="decision.return" value="退回重填 | Send back"' in task
    assert "decision.reject" not in task
    assert 'name="field.visit_date" value="date required"' in task
    assert 'name="field.households" value="integer min=1"' in task
    assert 'attachedToRef="township_review"' not in xml
    assert 'default="Flow_cosign_return"' in gateway_tag(xml, "gw_village_cosign")
    assert '<bpmn:endEvent id="end_ended"' in xml

    admin.goto(console.url(f"/flows/{key}/edit?version=1"))
    expect(editor).to_have_attribute("data-ready", "true")
    select(admin, "township_review")
    expect(admin.locator("#p-name-zh")).to_have_value("乡镇复核")
    expect(admin.locator("#p-name-en")).to_have_value("Township check")
    expect(admin.locator('[data-decision="reject"]')).not_to_be_checked()
    expect(admin.locator('[data-decision="return"]')).to_be_checked()
    expect(admin.locator('[data-decision-label="return"]')).to_have_value("退回重填 | Send back")
    expect(admin.locator("#p-fields")).to_have_value(
        "visit_date = date required\nhouseholds = integer min=1"
    )
    expect(admin.locator("#p-deadline")).not_to_be_checked()
    select(admin, "Lane_township_reviewer")
    expect(admin.locator("#p-role")).to_have_value("county_approver")
    select(admin, "gw_village_cosign")
    expect(admin.locator("#p-gateway-flows select").nth(2)).to_have_value("")
    select(admin, "end_ended")
    expect(admin.locator("#p-status")).to_have_value("ended")
    assert console.report() == ""


UNCONNECTED_TASK = """() => { const m = window.reliefModeler;
    const pool = m.get('elementRegistry').get('Participant_emergency_consolation');
    const shape = m.get('elementFactory').createShape({type: 'bpmn:UserTask'});
    m.get('modeling').createShape(shape, {x: pool.x + pool.width - 80, y: pool.y + 50}, pool);
    return shape.id; }"""


def test_a_problem_names_its_element_once_in_chinese(console: Console) -> None:
    """The problem list puts the element's name (or id) before a reason that does not name it,
    with a Chinese colon, and not before one that does (an unnamed task's id said twice)."""
    admin = console.login("admin")
    open_editor(console, admin)
    count = checks(admin)
    task = admin.evaluate(UNCONNECTED_TASK)
    checked_again(admin, count)
    problem = admin.locator(f'#editor-problem-list button[data-element="{task}"]')
    expect(problem).to_have_count(1)
    assert problem.inner_text().count(task) == 1, problem.inner_text()

    select(admin, "gw_village_cosign")
    count = checks(admin)
    admin.locator("#p-gateway-flows select").nth(1).select_option("other")
    python = admin.locator("#p-gateway-flows input[data-role=python]").nth(1)
    python.fill("decision = 'x'")
    python.press("Tab")
    checked_again(admin, count)
    # The condition is said on its own sequence flow, the branch's name (驳回) put before a
    # reason that names only its id, the id not said twice, with the comparison to write.
    said = admin.locator("#editor-problem-list button", has_text="decision = 'x'")
    expect(said).to_have_count(1)
    flow = said.get_attribute("data-element") or ""
    assert flow.startswith("Flow_"), flow
    text = said.inner_text()
    assert text.startswith(f"驳回：{flow} 的条件"), text
    assert text.count(flow) == 1, text
    assert "decision == 'x'" in text
    assert console.report() == ""


def test_the_drawing_is_not_lost_by_leaving_or_a_failed_save(console: Console) -> None:
    """Leaving with changes not saved asks first (none asked once saved or before any change);
    a save the page gets no readable answer for (here: the login ended in another tab) says so
    in Chinese and keeps the drawing, which 下载绘图 downloads as it is."""
    admin = console.login("admin")
    asked: list[str] = []
    admin.on("dialog", lambda dialog: asked.append(dialog.type))
    open_editor(console, admin)
    admin.locator("a[href='/flows']").first.click()
    admin.wait_for_url(re.compile(r"/flows$"))
    assert asked == []  # nothing changed: no question

    open_editor(console, admin)
    select(admin, "village_cosign")
    fill(admin, "#p-name-zh", "村主任签字确认")
    admin.locator("a[href='/flows']").first.click()
    admin.wait_for_url(re.compile(r"/flows$"))
    assert asked == ["beforeunload"]

    open_editor(console, admin)
    select(admin, "village_cosign")
    fill(admin, "#p-name-zh", "村主任签字确认")
    other = admin.context.new_page()  # the same login, in another tab: log out there
    other.goto(console.url("/flows"))
    other.locator("form[action='/logout'] button[type=submit]").click()
    other.wait_for_url(re.compile(r"/login"))
    other.close()
    console.expect_status(403, "/flows/emergency_consolation/edit")
    console.expect_status(403, "/flows/validate")
    admin.locator("#f-note").fill("改名")
    admin.locator("#editor-save button[type=submit]").click()
    error = admin.locator("#editor-save-error")
    expect(error).to_contain_text("版本未能保存")
    expect(error).to_contain_text("下载")
    with admin.expect_download() as download:
        admin.locator("#editor-download").click()
    assert download.value.suggested_filename == "emergency_consolation.bpmn"
    path = download.value.path()
    task = element_xml(path.read_text(encoding="utf-8"), "userTask", "village_cosign")
    assert 'name="村主任签字确认"' in task
    assert console.report() == ""
