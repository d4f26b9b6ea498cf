"""The flow editor in a real browser (issue 21, "Done"): an administrator draws a new task into
the shipped flow with the palette, sees the live problem on the drawing, fixes it in the side
panel, saves with a note, reads the version and its diff, activates it, and a case goes
through the new flow to paid. On SQLite and PostgreSQL, each on a server of its own (it
activates a flow); at 1366 px, and the editor at 390 px (the panel below the drawing).

The drawing is done as a person does it where that is reliable (a drag from the palette onto
a sequence flow, a tap to place a task, clicks in the panel), and the tests read the modeler's
state through ``window.reliefModeler`` (static/js/modeler.js) to know what was drawn.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Api
from tests.flows.helpers import flow_entry, own_server, run_case
from tests.web.browser.chinese import english_on
from tests.web.browser.conftest import (
    PHONE,
    Console,
    ConsoleFactory,
    follow,
    screenshot,
)

FLOW = "emergency_consolation"
TARGET_FLOW = "Flow_cosign_approve"  # 村委会主任签字 approved → 乡镇审查
ACTORS = {"village_head": "vh.lizhuang", "township_reviewer": "tr.dongcheng"}
USER_TASKS = """() => window.reliefModeler.get('elementRegistry')
    .filter(e => e.type === 'bpmn:UserTask').map(e => e.id)"""
# Where on the screen a point of a sequence flow is drawn: 80% along its longest segment
# (clear of its label, which bpmn-js puts near the middle).
FLOW_POINT = """id => {
    const modeler = window.reliefModeler;
    const flow = modeler.get('elementRegistry').get(id);
    const canvas = modeler.get('canvas');
    const box = canvas.viewbox();
    const rect = canvas.getContainer().getBoundingClientRect();
    let best = null, longest = -1;
    for (let i = 1; i < flow.waypoints.length; i++) {
        const a = flow.waypoints[i - 1], b = flow.waypoints[i];
        const length = Math.hypot(a.x - b.x, a.y - b.y);
        if (length > longest) {
            longest = length;
            best = {x: a.x + (b.x - a.x) * 0.8, y: a.y + (b.y - a.y) * 0.8};
        }
    }
    const scale = box.scale;
    return {x: rect.left + (best.x - box.x) * scale, y: rect.top + (best.y - box.y) * scale};
}"""
# The same drop through the modeler's API (a shape created on a connection is inserted into
# it, as a drop there is): used only if the drag did not land on the flow.
DROP_ON_FLOW = """id => {
    const modeler = window.reliefModeler;
    const flow = modeler.get('elementRegistry').get(id);
    const shape = modeler.get('elementFactory').createShape({type: 'bpmn:UserTask'});
    const a = flow.waypoints[0], b = flow.waypoints[flow.waypoints.length - 1];
    modeler.get('modeling').createShape(shape, {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2}, flow);
    return shape.id;
}"""


def open_editor(console: Console, page: Page) -> Any:
    page.goto(console.url(f"/flows/{FLOW}/edit"))
    editor = page.locator("#flow-editor")
    expect(editor).to_have_attribute("data-ready", "true")
    expect(editor).to_have_attribute("data-checked", "1")
    expect(editor).to_have_attribute("data-valid", "true")
    return editor


def checked_again(page: Page, before: int) -> int:
    """Wait for the live check after a change (debounced), return its count."""
    page.wait_for_function(
        "n => Number(document.querySelector('#flow-editor').dataset.checked) > n", arg=before
    )
    return int(page.locator("#flow-editor").get_attribute("data-checked") or 0)


def checks(page: Page) -> int:
    return int(page.locator("#flow-editor").get_attribute("data-checked") or 0)


def drag_user_task_onto(page: Page, flow_id: str) -> str:
    """Drag a user task from the palette onto the sequence flow; the new task's id."""
    before = set(page.evaluate(USER_TASKS))
    entry = page.locator(".djs-palette [data-action='create.user-task']")
    expect(entry).to_be_visible()
    box = entry.bounding_box()
    assert box is not None
    target = page.evaluate(FLOW_POINT, flow_id)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] - 40, target["y"] - 40, steps=5)
    page.mouse.move(target["x"], target["y"], steps=10)
    page.mouse.up()
    added = set(page.evaluate(USER_TASKS)) - before
    if not added:  # the drop missed the flow's few pixels: the same edit through the API
        page.keyboard.press("Escape")
        return str(page.evaluate(DROP_ON_FLOW, flow_id))
    (task,) = added
    return task


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_admin_draws_a_task_fixes_its_problem_saves_activates_and_a_case_is_paid(
    kind: str, console_for: ConsoleFactory, tmp_path: Path
) -> None:
    with own_server(kind, tmp_path) as served:
        api = served.api
        assert api is not None
        console = console_for(api.server.url)
        versions_before = max(v["version"] for v in flow_entry(api, FLOW)["versions"])
        admin = console.login("admin")
        open_editor(console, admin)
        screenshot(admin, "flow-editor")

        # Draw: a new user task dropped onto the village committee's approve branch.
        count = checks(admin)
        task = drag_user_task_onto(admin, TARGET_FLOW)
        wiring = admin.evaluate(
            """id => { const e = window.reliefModeler.get('elementRegistry').get(id);
                return [e.incoming.map(f => f.source.id), e.outgoing.map(f => f.target.id)]; }""",
            task,
        )
        assert wiring == [["gw_village_cosign"], ["township_review"]], wiring

        # The live problem: it offers reject and return, and no gateway routes them.
        count = checked_again(admin, count)
        expect(admin.locator("#flow-editor")).to_have_attribute("data-valid", "false")
        problem = admin.locator(f'#editor-problem-list button[data-element="{task}"]')
        expect(problem).to_have_count(1)
        expect(problem).to_contain_text("驳回")
        marked = admin.locator(f'.djs-element.relief-problem[data-element-id="{task}"]')
        expect(marked).to_have_count(1)
        expect(admin.locator(".relief-problem-note").first).to_be_visible()
        screenshot(admin, "flow-editor-problem")

        # Fix it in the side panel: named, and offering approve only.
        problem.click()  # selects the task
        expect(admin.locator("#panel-element-id")).to_have_text(task)
        admin.locator("#p-name-zh").fill("乡镇会签")
        admin.locator("#p-name-zh").press("Tab")
        count = checked_again(admin, count)
        admin.locator("#p-name-en").fill("Township co-signature")
        admin.locator("#p-name-en").press("Tab")
        count = checked_again(admin, count)
        admin.locator('[data-decision="reject"]').uncheck()
        count = checked_again(admin, count)
        admin.locator('[data-decision="return"]').uncheck()
        checked_again(admin, count)
        expect(admin.locator("#flow-editor")).to_have_attribute("data-valid", "true")
        expect(admin.locator("#editor-problem-list li")).to_have_count(0)
        expect(marked).to_have_count(0)
        xml = admin.evaluate("() => window.reliefModeler.saveXML({format: true}).then(r => r.xml)")
        assert 'name="decision.approve" value="同意 | Approve"' in xml
        assert "decision.reject" not in xml.split(f'id="{task}"')[1].split("</bpmn:userTask>")[0]
        assert 'name="name.en" value="Township co-signature"' in xml
        screenshot(admin, "flow-editor-fixed")

        # Save with a note: a new version, then its page.
        admin.locator("#f-note").fill("村委会签字后增加乡镇会签")
        follow(admin, admin.locator("#editor-save button[type=submit]"))
        number = versions_before + 1
        admin.wait_for_url(re.compile(rf"/flows/{FLOW}/versions/{number}$"))
        expect(admin.locator("#flash")).to_contain_text("流程版本已保存")
        expect(admin.locator("#main")).to_contain_text("村委会签字后增加乡镇会签")
        expect(admin.locator("#main")).to_contain_text("乡镇会签")
        stored = api.get(f"/flows/{FLOW}/versions/{number}", as_="admin").json()
        assert stored["note"] == "村委会签字后增加乡镇会签"
        assert stored["active"] is False

        # Its diff against the version it was drawn from names the new task.
        diff = admin.locator(f'a[href^="/flows/{FLOW}/diff"]').first
        follow(admin, diff)
        added = admin.locator(f'[data-element="{task}"]').first
        expect(added).to_contain_text("乡镇会签")
        screenshot(admin, "flow-editor-diff")

        # Activate it from its page.
        admin.goto(console.url(f"/flows/{FLOW}/versions/{number}"))
        activate = admin.locator(f"form[action='/flows/{FLOW}/versions/{number}/activate']")
        follow(admin, activate.locator("button[type=submit]"))
        assert flow_entry(api, FLOW)["active_version"] == number

        # A case through the new flow: the new step is acted on by its lane's role (the lane
        # it was dropped in).
        (lane,) = [t["lane"] for t in stored["tasks"] if t["id"] == task]
        case = api.submit()
        api.attach_required(case["id"])
        assert api.case(case["id"])["flow_version"] == f"{FLOW}@v{number}"
        chain = ("cw.lizhuang", "vh.lizhuang", ACTORS[lane], "tr.dongcheng", "ca.county")
        done = run_case(api, case["id"], (*chain, "fo.county"))
        assert done == [
            "village_investigation",
            "village_cosign",
            task,
            "township_review",
            "county_verification",
            "card_payout",
        ]
        assert api.case(case["id"])["status"] == "paid"
        assert console.report() == ""


def test_the_editor_at_390_px_puts_the_panel_below_the_drawing(console: Console, api: Api) -> None:
    """On a phone: the palette works (tap an entry, tap the canvas), the panel edits the new
    task, its problem is marked and listed, tapping it selects the element; nothing is
    saved."""
    admin = console.login("admin", viewport=PHONE)
    editor = open_editor(console, admin)
    canvas = admin.locator("#editor-canvas").bounding_box()
    panel = admin.locator(".editor-panel").bounding_box()
    assert canvas is not None
    assert panel is not None
    assert panel["y"] >= canvas["y"] + canvas["height"] - 1, (canvas, panel)
    assert canvas["width"] <= PHONE["width"]
    overflow = admin.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= PHONE["width"], overflow
    mark = admin.locator("#editor-canvas .bjs-powered-by")
    expect(mark).to_be_visible()
    screenshot(admin, "flow-editor-phone")

    before = set(admin.evaluate(USER_TASKS))
    count = checks(admin)
    admin.locator(".djs-palette [data-action='create.user-task']").click()
    # Place it below the drawing's last lane: an empty spot, inside the canvas.
    spot = admin.evaluate(
        """() => { const canvas = window.reliefModeler.get('canvas');
            const rect = canvas.getContainer().getBoundingClientRect();
            return {x: rect.left + rect.width * 0.6, y: rect.top + rect.height * 0.5}; }"""
    )
    admin.mouse.move(spot["x"] - 20, spot["y"] - 20, steps=3)
    admin.mouse.move(spot["x"], spot["y"], steps=5)
    admin.mouse.click(spot["x"], spot["y"])
    added = set(admin.evaluate(USER_TASKS)) - before
    assert len(added) == 1, added
    (task,) = added
    expect(admin.locator("#panel-element-id")).to_have_text(task)  # placed and selected
    count = checked_again(admin, count)
    # The panel (below the drawing) edits a task of the flow: a field of no known type is a
    # problem. (A task connected to nothing is not checked at all: the engine never reaches it.)
    admin.evaluate(
        """() => { const m = window.reliefModeler;
            m.get('selection').select(m.get('elementRegistry').get('village_investigation')); }"""
    )
    expect(admin.locator("#panel-element-id")).to_have_text("village_investigation")
    fields = admin.locator("#p-fields")
    fields.scroll_into_view_if_needed()
    fields.fill("amount = money")
    fields.press("Tab")
    checked_again(admin, count)
    expect(editor).to_have_attribute("data-valid", "false")
    problem = admin.locator('#editor-problem-list button[data-element="village_investigation"]')
    expect(problem.first).to_be_visible()
    marked = admin.locator('.djs-element.relief-problem[data-element-id="village_investigation"]')
    expect(marked).to_have_count(1)
    # Tapping the problem selects its element again (after another was selected).
    admin.evaluate(
        """id => { const m = window.reliefModeler;
            m.get('selection').select(m.get('elementRegistry').get(id)); }""",
        task,
    )
    expect(admin.locator("#panel-element-id")).to_have_text(task)
    problem.first.click()
    expect(admin.locator("#panel-element-id")).to_have_text("village_investigation")
    expect(admin.locator("#p-fields")).to_have_value("amount = money")
    screenshot(admin, "flow-editor-phone-problem")
    assert console.report() == ""


def select(page: Page, element_id: str) -> None:
    page.evaluate(
        """id => { const m = window.reliefModeler;
            m.get('selection').select(m.get('elementRegistry').get(id)); }""",
        element_id,
    )
    expect(page.locator("#panel-element-id")).to_have_text(element_id)


def drawing(page: Page) -> str:
    return str(page.evaluate("() => window.reliefModeler.saveXML({format: true}).then(r => r.xml)"))


def element_xml(xml: str, tag: str, element_id: str) -> str:
    start = xml.index(f'<bpmn:{tag} id="{element_id}"')
    end = xml.find(f"</bpmn:{tag}>", start)
    return xml[start : end if end != -1 else xml.index("/>", start)]


def test_the_side_panel_writes_what_the_shipped_flows_write(console: Console) -> None:
    """A deadline timer removed and added back, a gateway's branch turned to another decision
    (and the live check naming the decision left unrouted), a field declared, a lane's role and
    an end's status: the XML as workflows/*.bpmn writes it. Nothing is saved."""
    admin = console.login("admin")
    editor = open_editor(console, admin)
    # bpmn-js's own words are the page's: the palette in Chinese.
    entry = admin.locator(".djs-palette [data-action='create.user-task']")
    expect(entry).to_have_attribute("aria-label", "添加用户任务")
    expect(admin.locator(".djs-palette [data-action='hand-tool']")).to_have_attribute(
        "aria-label", "抓手工具（拖动画布）"
    )

    select(admin, "village_cosign")
    expect(admin.locator("#p-deadline")).to_be_checked()
    expect(admin.locator("#p-deadline-step")).to_have_value("village_cosign")
    admin.locator("#p-deadline").uncheck()
    xml = drawing(admin)
    assert 'attachedToRef="village_cosign"' not in xml
    assert 'id="escalated_village_cosign"' not in xml
    admin.locator("#p-deadline").check()
    xml = drawing(admin)
    timer = element_xml(xml, "boundaryEvent", "overdue_village_cosign")
    assert 'cancelActivity="false" attachedToRef="village_cosign"' in timer
    assert "deadline('village_cosign')" in timer
    assert 'name="超期"' in timer
    assert 'id="escalated_village_cosign" name="督办"' in xml

    admin.locator("#p-fields").fill("signed_on = date required")
    admin.locator("#p-fields").press("Tab")
    task = element_xml(drawing(admin), "userTask", "village_cosign")
    assert '<spiffworkflow:property name="field.signed_on" value="date required" />' in task

    select(admin, "gw_village_cosign")
    rows = admin.locator("#p-gateway-flows select")
    expect(rows).to_have_count(3)
    assert [row.input_value() for row in rows.all()] == ["approve", "reject", "return"]
    count = checks(admin)
    rows.nth(1).select_option("return")  # the reject branch now takes a return
    branch = element_xml(drawing(admin), "sequenceFlow", "Flow_cosign_reject")
    assert "decision == 'return'" in branch
    assert 'name="退回补正"' in branch
    assert '<spiffworkflow:property name="name.en" value="Return for correction" />' in branch
    checked_again(admin, count)
    expect(editor).to_have_attribute("data-valid", "false")
    # The gateway: reject is routed nowhere (and return twice, which is a problem of its own).
    said = admin.locator('#editor-problem-list button[data-element="gw_village_cosign"]')
    expect(said.filter(has_text="“驳回”决定没有分支")).to_have_count(1)

    select(admin, "Lane_village_head")
    expect(admin.locator("#p-role")).to_have_value("village_head")
    admin.locator("#p-role").select_option("township_reviewer")
    assert 'id="Lane_village_head" name="township_reviewer"' in drawing(admin)

    select(admin, "end_rejected")
    expect(admin.locator("#p-status")).to_have_value("rejected")
    select(admin, "escalated_village_investigation")
    admin.locator("#p-status").select_option("ended")
    assert '<bpmn:endEvent id="end_ended"' in drawing(admin)
    assert console.report() == ""


def test_the_editor_pages_are_chinese(console: Console) -> None:
    """The editor and the new-flow page say everything in Chinese (tests/web/browser/chinese.py
    reads what the browser shows, the drawing included)."""
    admin = console.login("admin")
    open_editor(console, admin)
    assert english_on(admin) == []
    admin.goto(console.url("/flows/new"))
    assert english_on(admin) == []
