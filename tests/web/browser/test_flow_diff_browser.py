"""The version diff page in a browser: both diagrams drawn, the added, removed and changed
elements marked on them, and at 390 px the diagrams stacked within the screen's width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import Api
from tests.web.browser.chinese import english_on
from tests.web.browser.conftest import DESKTOP, PHONE, Console
from tests.web.test_flow_diff_page import _two_versions


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_the_diff_marks_both_diagrams(console: Console, api: Api, viewport: dict[str, int]) -> None:
    key = _two_versions(api)
    page = console.login("admin", viewport=viewport)
    page.goto(console.url(f"/flows/{key}/diff"))
    earlier, later = page.locator("#diagram-from"), page.locator("#diagram-to")
    expect(earlier).to_have_attribute("data-ready", "true")
    expect(later).to_have_attribute("data-ready", "true")
    # The new task green on the later diagram, with the flows that lead to and from it.
    expect(later.locator('[data-element-id="Activity_0x7k2m1"].relief-added')).to_have_count(1)
    expect(later.locator('[data-element-id="Flow_1q2w3e4"].relief-added')).to_have_count(1)
    # The swapped gateway and the renamed review amber on both.
    for diagram in (earlier, later):
        for element in ("gw_village_investigation", "township_review"):
            marked = diagram.locator(f'[data-element-id="{element}"].relief-changed')
            expect(marked).to_have_count(1)
    # The approve branch that now leads to the new task, amber on both.
    for diagram in (earlier, later):
        branch = diagram.locator('[data-element-id="Flow_cosign_approve"].relief-changed')
        expect(branch).to_have_count(1)
    expect(page.locator(".diagram-legend .legend-added")).to_have_text("新增")
    assert english_on(page) == []  # ids and conditions are marked translate="no"
    boxes = [earlier.bounding_box(), later.bounding_box()]
    assert boxes[0]
    assert boxes[1]
    if viewport == PHONE:  # stacked, each within the screen
        assert boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"]
        assert boxes[0]["x"] + boxes[0]["width"] <= PHONE["width"]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
    else:  # side by side
        assert boxes[1]["x"] >= boxes[0]["x"] + boxes[0]["width"]
        assert abs(boxes[1]["y"] - boxes[0]["y"]) < 2
