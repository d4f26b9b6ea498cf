"""Nothing from an uploaded flow or an outside site runs on the console's origin (issue 18
part 5), in Chromium, on SQLite and on PostgreSQL.

- A case's flow XML opened straight in the browser is text: a stylesheet and an XHTML meta
  refresh to another site stored in it (a version from before uploads refused them) fetch
  nothing and go nowhere; the case page still draws the diagram from it, on a laptop and a
  phone.
- /docs and /redoc draw the API from the vendored Swagger UI and ReDoc: every request stays on
  this site and the page's policy reports no violation (a console error fails the test).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, Request, expect

from tests.conftest import Server
from tests.web.browser.conftest import DESKTOP, PHONE, Console, screenshot
from tests.web.outside import hostile_flow, stored_hostile_flow

pytestmark = pytest.mark.browser


class Outside:
    """Another origin (another port) that records every request a browser sends it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        recorded = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                recorded.append(self.path)
                body = b"<html><body>outside</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def outside() -> Iterator[Outside]:
    site = Outside()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def _requests_elsewhere(page: Page, base_url: str) -> list[str]:
    elsewhere: list[str] = []

    def on_request(request: Request) -> None:
        if not request.url.startswith((base_url + "/", "data:", "blob:")):
            elsewhere.append(request.url)

    page.on("request", on_request)
    return elsewhere


# ReDoc 2 (and 3) draws its "API docs by Redocly" logo from its CDN, whatever the options: the
# page's policy blocks it, so it never leaves, and ReDoc drops the broken image.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_a_stored_flow_s_stylesheet_and_meta_refresh_do_nothing_in_the_browser(
    console: Console, server: Server, ready_case: dict, outside: Outside
) -> None:
    case_id = ready_case["id"]
    diagram_url = console.url(f"/applications/{case_id}/diagram.bpmn")
    with stored_hostile_flow(server.backend, case_id, hostile_flow(outside.url)):
        page = console.login("tr.dongcheng")
        elsewhere = _requests_elsewhere(page, console.base_url)
        page.goto(diagram_url)
        # A meta refresh of 0 s would have left by now; a stylesheet would have been fetched.
        page.wait_for_timeout(1500)
        assert page.url == diagram_url
        # Shown as text; the diagram is served through the engine's parser, which drops
        # processing instructions, so the stylesheet instruction is not even in it any more.
        shown = page.locator("body").inner_text()
        assert "<bpmn:definitions" in shown or "<definitions" in shown
        assert "<?xml-stylesheet" not in shown
        assert outside.paths == []
        assert elsewhere == []

        # The case page still draws the same XML (diagram.js fetches it), laptop and phone.
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(console.url(f"/applications/{case_id}"))
            diagram = page.locator(".diagram[data-bpmn-url]").first
            expect(diagram).to_have_attribute("data-ready", "true")
            expect(diagram.locator(".djs-element.relief-open").first).to_be_visible()
            screenshot(page, f"case-diagram-{name}")
        assert page.url.startswith(console.base_url)
        assert outside.paths == []
        assert elsewhere == []


@pytest.mark.parametrize(
    ("path", "drawn", "blocked"),
    [("/docs", ".swagger-ui .info .title", ()), ("/redoc", ".api-info h1", (REDOC_LOGO,))],
    ids=["swagger-ui", "redoc"],
)
def test_the_api_docs_draw_from_this_site_only(
    console: Console, path: str, drawn: str, blocked: tuple[str, ...]
) -> None:
    page = console.open()
    elsewhere = _requests_elsewhere(page, console.base_url)
    response = page.goto(console.url(path))
    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(drawn).first).to_contain_text("relief")
    # The operations are listed from /openapi.json (a path of the API shows).
    expect(page.get_by_text("/api/v1/applications").first).to_be_attached()
    screenshot(page, f"api-docs{path.replace('/', '-')}")
    assert sorted(set(elsewhere)) == sorted(blocked)
    # What the policy blocked is all the browser reported: the violation and the failed load.
    for url in blocked:
        reported = [problem for problem in console.problems if url in problem]
        assert any("violates the following Content Security Policy" in p for p in reported)
        assert any("request failed" in p and p.endswith(" csp") for p in reported), reported
        console.problems[:] = [problem for problem in console.problems if url not in problem]
