"""The console's layout in a real browser at an office laptop's 1366 px and a phone's 390 px
(issue 20, "Phone and layout"), on SQLite and on PostgreSQL.

On every main page: nothing scrolls sideways, buttons and links can be read (WCAG contrast of
their text against the background they are drawn on), headings and form fields do not overlap
what is around them, and the one-line fields of a form are one height. At 390 px the menu
folds behind a button that opens it (and is simply shown without JavaScript); the objection
form of the public notices is usable; an upload over the limit is answered by a message in
place, the form still there; the flow diagram is drawn at a readable zoom, with zoom buttons.

The module serves its own database with a seven-day public notice (the shared test server
has none), so that the notices page has a case to object to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import VILLAGE_CHAIN, Api
from tests.factories import PDF
from tests.flows.helpers import OwnServer, own_server
from tests.web.browser.conftest import (
    DESKTOP,
    PHONE,
    Console,
    ConsoleFactory,
    submit,
)

VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366x768", "390x844"])


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnServer]:
    tmp: Path = tmp_path_factory.mktemp(f"layout-{request.param}")
    with own_server(request.param, tmp, RELIEF_NOTICE_DAYS="7") as server:
        yield server


@pytest.fixture
def api(site: OwnServer) -> Api:
    assert site.api is not None
    return site.api


@pytest.fixture
def console(console_for: ConsoleFactory, api: Api) -> Console:
    return console_for(api.server.url)


def new_case(api: Api, *, through: tuple[str, ...] = ()) -> int:
    case = api.submit()
    api.attach_required(case["id"])
    for user in through:
        api.act(case["id"], "approve", as_=user)
    return int(case["id"])


# --- what the browser measures ----------------------------------------------------------------

# WCAG 2.x contrast of each visible button and link's text against the colour it is drawn on:
# the first ancestor (or itself) with a background that is not transparent, blended over the
# ones below it when translucent; white at the bottom. Large text (24 px, or 18.66 px bold)
# needs 3, other text 4.5.
CONTRAST = """() => {
  const parse = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, below) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + below[i] * (1 - a)).concat([1]);
  };
  const background = (element) => {
    const layers = [];
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) {
        layers.push(colour);
        if (colour[3] >= 1) break;
      }
    }
    let result = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const bad = [];
  const seen = document.querySelectorAll(
    'main a, main button, main summary, main .btn, header a, header button');
  for (const element of seen) {
    if (element.closest('.diagram, .visually-hidden') || element.disabled) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || !element.innerText.trim()) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden') continue;
    const bg = background(element);
    const fg = over(parse(style.color), bg);
    const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      bad.push(`${element.tagName.toLowerCase()} "${element.innerText.trim().slice(0, 30)}" `
               + `${style.color} on ${bg.slice(0, 3)}: ${ratio.toFixed(2)}`);
    }
  }
  return bad;
}"""

# Boxes that overlap: each h1/h2/h3 must start at least 4 px below what is above it in the
# page's flow (its previous sibling, or its section's, when it is the first thing in one),
# and the visible fields and buttons of one form must not cover each other.
OVERLAPS = """() => {
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    const style = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && style.visibility !== 'hidden'
      && style.position !== 'absolute' && style.position !== 'fixed'
      && !e.closest('details:not([open]) > :not(summary)');
  };
  const main = document.querySelector('main');
  const above = (e) => {
    for (let node = e; node && node !== main; node = node.parentElement) {
      let before = node.previousElementSibling;
      while (before && !visible(before)) before = before.previousElementSibling;
      if (before) return before;
    }
    return null;
  };
  const cross = (a, b) => {
    const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
    const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
    const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
    return w > 1 && h > 1;
  };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.name ? `[name=${e.name}]` : '') + ` "${(e.innerText || '').trim().slice(0, 20)}"`;
  const found = [];
  for (const heading of document.querySelectorAll('main h1, main h2, main h3')) {
    const before = visible(heading) ? above(heading) : null;
    if (!before || heading.closest('.diagram')) continue;
    const r = heading.getBoundingClientRect(), s = before.getBoundingClientRect();
    const side = Math.min(r.right, s.right) - Math.max(r.left, s.left) > 1;
    if (side && r.top - s.bottom < 4) {
      found.push(`${name(heading)} is ${(r.top - s.bottom).toFixed(1)}px below ${name(before)}`);
    }
  }
  for (const form of document.querySelectorAll('main form')) {
    const fields = [...form.querySelectorAll(
      'input:not([type=hidden]), select, textarea, button')].filter(visible);
    fields.forEach((a, i) => fields.slice(i + 1).forEach((b) => {
      if (!a.contains(b) && !b.contains(a) && cross(a, b)) {
        found.push(`${name(a)} overlaps ${name(b)}`);
      }
    }));
  }
  return found;
}"""

# The one-line fields of each form: their heights, when they differ by more than 2 px.
UNEVEN_FIELDS = """() => {
  const found = [];
  for (const form of document.querySelectorAll('main form')) {
    const fields = [...form.querySelectorAll(
      'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select')]
      .filter(e => e.getBoundingClientRect().height > 0);
    const heights = fields.map(e => Math.round(e.getBoundingClientRect().height));
    if (heights.length && Math.max(...heights) - Math.min(...heights) > 2) {
      found.push(`${form.getAttribute('action')}: `
                 + fields.map((e, i) => `${e.name}=${heights[i]}`).join(' '));
    }
  }
  return found;
}"""

SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def layout_problems(page: Page) -> list[str]:
    problems = []
    sideways = page.evaluate(SIDEWAYS)
    if sideways > 0:
        problems.append(f"scrolls sideways by {sideways}px")
    problems += [f"contrast: {bad}" for bad in page.evaluate(CONTRAST)]
    problems += [f"overlap: {found}" for found in page.evaluate(OVERLAPS)]
    problems += [f"uneven fields: {found}" for found in page.evaluate(UNEVEN_FIELDS)]
    return problems


# --- every main page --------------------------------------------------------------------------

MAIN_PAGES = (  # (user or None for anyone, path)
    (None, "/login"),
    ("cw.lizhuang", "/"),
    ("cw.lizhuang", "/applications/new"),
    ("cw.lizhuang", "{case}"),
    ("cw.lizhuang", "/applications"),
    ("tr.dongcheng", "/review"),
    ("au.county", "/audit"),
    ("admin", "/flows"),
    ("admin", "/flows/emergency_consolation/versions/1"),
    ("admin", "/people"),
    ("fo.county", "/payouts"),
    (None, "/public/notices"),
)


@VIEWPORTS
def test_the_main_pages_fit_the_screen_and_can_be_read(
    console: Console, api: Api, viewport: dict[str, int]
) -> None:
    case_id = new_case(api)
    new_case(api, through=VILLAGE_CHAIN)  # on notice: a card on the public page
    new_case(api, through=VILLAGE_CHAIN[:2])  # to review at the township
    pages: dict[str | None, Page] = {}
    problems: list[str] = []
    for user, path in MAIN_PAGES:
        if user not in pages:
            pages[user] = (
                console.login(user, viewport=viewport) if user else console.open(viewport=viewport)
            )
        page = pages[user]
        url = path.format(case=f"/applications/{case_id}")
        response = page.goto(console.url(url))
        assert response is not None
        assert response.status == 200, f"{url} as {user}"
        for diagram in page.locator(".diagram[data-bpmn-url]").all():
            expect(diagram).to_have_attribute("data-ready", "true")
        problems += [f"{url} at {viewport['width']}px: {found}" for found in layout_problems(page)]
    assert problems == [], "\n".join(problems)


# --- the menu ---------------------------------------------------------------------------------


def test_at_390px_the_menu_opens_from_its_button(console: Console) -> None:
    page = console.login("cw.lizhuang", viewport=PHONE)
    toggle = page.locator(".topbar .nav-toggle")
    links = page.locator("#main-nav a")
    logout = page.locator("form[action='/logout'] button")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(links.first).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for link in links.all():
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None
        assert box["height"] >= 40, f"a small target: {box}"
    expect(logout).to_be_visible()
    assert page.evaluate(SIDEWAYS) <= 0
    # The keyboard: Escape closes it and leaves the focus on the button; Enter opens it.
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(links.first).to_be_hidden()
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(links.first).to_be_focused()
    links.first.click()
    page.wait_for_load_state("load")
    assert page.evaluate("() => location.pathname") == links.first.get_attribute("href")


def test_at_1366px_the_menu_is_shown_without_a_button(console: Console) -> None:
    page = console.login("cw.lizhuang", viewport=DESKTOP)
    expect(page.locator(".topbar .nav-toggle")).to_be_hidden()
    for link in page.locator("#main-nav a").all():
        expect(link).to_be_visible()


def test_without_javascript_the_menu_is_simply_shown_at_390px(
    console: Console, browser_context_args: dict[str, object]
) -> None:
    context = console.browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "java_script_enabled": False}
    )
    try:
        page = context.new_page()
        page.goto(console.url("/public/notices"))
        expect(page.locator(".topbar .nav-toggle")).to_be_hidden()
        expect(page.locator("#main-nav a").first).to_be_visible()
        expect(page.locator(".topbar a[href='/login']")).to_be_visible()
    finally:
        context.close()


# --- the objection form -----------------------------------------------------------------------


def test_at_390px_the_objection_form_takes_the_screen_s_width(console: Console, api: Api) -> None:
    new_case(api, through=VILLAGE_CHAIN)
    page = console.open(viewport=PHONE)
    page.goto(console.url("/public/notices"))
    notice = page.locator("li.notice").first
    notice.locator("summary").click()
    text = notice.locator("textarea[name=text]")
    expect(text).to_be_visible()
    box = text.bounding_box()
    assert box is not None
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= PHONE["width"], box
    assert box["width"] >= PHONE["width"] * 0.7, f"a narrow field: {box}"
    assert page.evaluate(SIDEWAYS) <= 0
    assert layout_problems(page) == []
    text.fill("申请人家中另有在职子女，不符合条件。")
    notice.locator("input[name=contact]").fill("村民老李")
    response = submit(page, notice.locator("button[type=submit]"))
    assert response.status == 303
    expect(page.locator("#flash .flash-ok")).to_be_visible()


# --- an upload over the limit -----------------------------------------------------------------


@VIEWPORTS
def test_an_upload_over_the_limit_is_answered_in_place_and_the_form_stays(
    console: Console, api: Api, viewport: dict[str, int], tmp_path: Path
) -> None:
    case_id = new_case(api)
    console.expect_status(413, f"/applications/{case_id}/documents")
    page = console.login("cw.lizhuang", viewport=viewport)
    page.goto(console.url(f"/applications/{case_id}"))
    big = tmp_path / "scan.pdf"
    big.write_bytes(PDF + b"0" * (30 * 1024 * 1024))  # the 30 MB of the report
    section = page.locator("#documents")
    before = section.locator("table tbody tr").count()
    section.locator("select[name=kind]").select_option("hukou")
    section.locator("input[type=file][name=file]").set_input_files(big)
    response = submit(page, section.locator("form:has(input[type=file]) button[type=submit]"))
    assert response.status == 413
    message = page.locator("#flash .flash-error")
    expect(message).to_be_visible()
    expect(message).to_be_in_viewport()  # pinned in sight, though #flash is far above
    assert "{" not in message.inner_text()
    # The section was not replaced: the same list, the form with what was chosen.
    expect(section.locator("table tbody tr")).to_have_count(before)
    expect(section.locator("select[name=kind]")).to_have_value("hukou")
    assert "scan.pdf" in section.locator("input[type=file]").evaluate("e => e.files[0].name")
    assert "payload-too-large" not in page.content()
    # A file within the limit goes through afterwards, and the message goes.
    small = tmp_path / "hukou.pdf"
    small.write_bytes(PDF)
    section.locator("input[type=file][name=file]").set_input_files(small)
    submit(page, section.locator("form:has(input[type=file]) button[type=submit]"))
    expect(section.locator("table tbody tr")).to_have_count(before + 1)


def test_an_answer_the_page_cannot_show_leaves_the_form_and_says_so(
    console: Console, api: Api, tmp_path: Path
) -> None:
    """A proxy's JSON error, and a connection that broke off: nothing is swapped, the message
    comes from the page (in Chinese), the form keeps what was chosen."""
    case_id = new_case(api)
    upload = f"**/applications/{case_id}/documents"
    console.expect_status(502, f"/applications/{case_id}/documents")
    page = console.login("cw.lizhuang", viewport=PHONE)
    page.goto(console.url(f"/applications/{case_id}"))
    section = page.locator("#documents")
    file = tmp_path / "hukou.pdf"
    file.write_bytes(PDF)
    section.locator("select[name=kind]").select_option("hukou")
    section.locator("input[type=file][name=file]").set_input_files(file)
    button = section.locator("form:has(input[type=file]) button[type=submit]")
    message = page.locator("#flash .flash-error")

    page.route(
        upload,
        lambda route: route.fulfill(
            status=502,
            content_type="application/problem+json",
            body='{"type": "about:blank", "title": "Bad Gateway", "status": 502}',
        ),
    )
    submit(page, button)
    expect(message).to_have_text(page.locator("body").get_attribute("data-msg-failed") or "?")
    expect(message).to_be_in_viewport()
    assert "Bad Gateway" not in page.locator("main").inner_text()
    expect(section.locator("select[name=kind]")).to_have_value("hukou")

    page.unroute(upload)
    page.route(upload, lambda route: route.abort("connectionreset"))  # the connection broke off
    reported = len(console.problems)
    button.click()
    offline = page.locator("body").get_attribute("data-msg-offline") or "?"
    expect(message).to_have_text(offline)
    assert "连接" in offline
    expect(section.locator("input[type=file][name=file]")).to_be_visible()
    expect(section.locator("select[name=kind]")).to_have_value("hukou")
    # What the browser reported of that reset is this test's doing, not a fault of the page:
    # the failed request, and htmx's own log lines about it.
    console.problems[reported:] = [
        problem
        for problem in console.problems[reported:]
        if "ERR_CONNECTION_RESET" not in problem and "htmx:" not in problem
    ]


# --- the flow diagram -------------------------------------------------------------------------

ZOOM = "d => d.querySelector('.djs-container svg .viewport').transform.baseVal[0].matrix.a"


@VIEWPORTS
def test_the_diagram_is_drawn_readable_with_zoom_buttons(
    console: Console, api: Api, viewport: dict[str, int]
) -> None:
    case_id = new_case(api)
    page = console.login("cw.lizhuang", viewport=viewport)
    page.goto(console.url(f"/applications/{case_id}"))
    diagram = page.locator(".diagram").first
    expect(diagram).to_have_attribute("data-ready", "true")
    shown = page.evaluate(
        "() => { const b = document.querySelector('.diagram').getBoundingClientRect();"
        " return [b.width, b.height]; }"
    )
    zoom = diagram.evaluate(ZOOM)
    assert zoom >= 0.5, f"drawn at {zoom:.0%}"
    assert shown[1] >= 280, f"a diagram {shown[1]}px high"
    if viewport == DESKTOP:  # the whole width of the flow on an office screen
        inner = diagram.evaluate(
            "d => d.querySelector('.djs-container svg .viewport').getBoundingClientRect().width"
        )
        assert inner <= shown[0], f"the flow is {inner}px wide in a {shown[0]}px box"
    controls = diagram.locator(".diagram-controls")
    controls.locator("[data-zoom=in]").click()
    assert diagram.evaluate(ZOOM) == pytest.approx(zoom * 1.25, rel=0.01)
    controls.locator("[data-zoom=out]").click()
    controls.locator("[data-zoom=out]").click()
    assert diagram.evaluate(ZOOM) == pytest.approx(zoom / 1.25, rel=0.01)
    controls.locator("[data-zoom=reset]").click()
    assert diagram.evaluate(ZOOM) == pytest.approx(zoom, rel=0.01)
    # The buttons are named in the page's language and leave the watermark uncovered.
    assert controls.locator("[data-zoom=in]").get_attribute("aria-label") == "放大"
    mark = diagram.locator(".bjs-powered-by")
    expect(mark).to_be_visible()
    mark_box, controls_box = mark.bounding_box(), controls.bounding_box()
    assert mark_box is not None
    assert controls_box is not None
    assert controls_box["y"] + controls_box["height"] < mark_box["y"], "buttons over the mark"


def test_a_resized_window_fits_the_diagram_again_unless_zoomed_by_hand(
    console: Console, api: Api
) -> None:
    """A window made narrower (or a tablet turned upright) fits the flow to the new width;
    it stayed at the old zoom, cut off at the right. (On a phone the flow is drawn at the
    readable zoom either way up.)"""
    case_id = new_case(api)
    page = console.login("cw.lizhuang", viewport=DESKTOP)
    page.goto(console.url(f"/applications/{case_id}"))
    diagram = page.locator(".diagram").first
    expect(diagram).to_have_attribute("data-ready", "true")
    wide = diagram.evaluate(ZOOM)
    page.set_viewport_size({"width": 1024, "height": 768})
    changed = f"Math.abs({ZOOM.removeprefix('d => ')} - {wide}) > 0.01"
    page.wait_for_function(
        f"() => {{ const d = document.querySelector('.diagram'); return {changed}; }}"
    )
    narrow = diagram.evaluate(ZOOM)
    box = diagram.bounding_box()
    inner = diagram.evaluate(
        "d => d.querySelector('.djs-container svg .viewport').getBoundingClientRect().width"
    )
    assert box is not None
    assert inner <= box["width"] or narrow == pytest.approx(0.75), (inner, box, narrow)
    # Zoomed by hand, a resize keeps the user's zoom.
    diagram.locator(".diagram-controls [data-zoom=in]").click()
    chosen = diagram.evaluate(ZOOM)
    assert chosen == pytest.approx(narrow * 1.25, rel=0.01)
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(600)  # past the refit's 200 ms wait
    assert diagram.evaluate(ZOOM) == pytest.approx(chosen, rel=0.01)
