"""The console over plain HTTP: a cookie-keeping client logged in through the login form.

Browser journeys (Playwright) live in ``tests/web/browser/``; these helpers serve the quicker
page tests that need no browser: status codes, CSRF, what a page shows and hides.
"""

from __future__ import annotations

import re

import httpx

from tests.conftest import ANSWER_S, DEMO_PASSWORD, Server

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# One demo user of each role, in 李庄村 and the county above it (harness seed-demo).
DEMO_USERS = {
    "caseworker": "cw.lizhuang",
    "village_head": "vh.lizhuang",
    "township_reviewer": "tr.dongcheng",
    "county_approver": "ca.county",
    "finance_officer": "fo.county",
    "auditor": "au.county",
    "admin": "admin",
}


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class Page:
    """One browser-like session: cookies kept, redirects not followed (tests see them)."""

    def __init__(self, server: Server) -> None:
        self.client = httpx.Client(base_url=server.url, timeout=ANSWER_S, follow_redirects=False)
        self.csrf = ""

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        response = self.client.get(path, **kwargs)  # type: ignore[arg-type]
        if response.headers.get("content-type", "").startswith("text/html"):
            match = CSRF.search(response.text)
            if match:
                self.csrf = match.group(1)
        return response

    def post(
        self,
        path: str,
        data: dict[str, object] | None = None,
        *,
        csrf: bool = True,
        **kwargs: object,
    ) -> httpx.Response:
        """A form post with the session's CSRF token (read from the last page fetched)."""
        if not self.csrf:
            self.get("/login")
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return self.client.post(path, data=form, **kwargs)  # type: ignore[arg-type]

    def login(self, username: str, password: str = DEMO_PASSWORD) -> httpx.Response:
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        landing = self.get("/")  # the new session's CSRF token, on the user's landing page
        if landing.status_code == 303:  # auditors and administrators start on their own page
            self.get(landing.headers["location"])
        return response


def logged_in(server: Server, username: str) -> Page:
    page = Page(server)
    response = page.login(username)
    assert response.status_code == 303, response.text
    return page


def english(page: Page) -> Page:
    """The session's pages in English from now on: the tests read the English message ids."""
    response = page.post("/language", {"language": "en", "next": "/"})
    assert response.status_code == 303, response.text
    return page


def task_id(html: str) -> str:
    """The id of the task the case page's decision form completes."""
    match = re.search(r'name="task_id" value="(\d+)"', html)
    assert match, "the page shows no decision form"
    return match.group(1)


def flash(html: str) -> str:
    """The message shown at the top of the page after a redirect ("" without one)."""
    match = re.search(r'<p class="flash-(?:ok|error)">([^<]*)</p>', html)
    return match.group(1) if match else ""


def visible_text(html: str) -> str:
    """The page without the CSRF token (random base64 may hold digit runs)."""
    return re.sub(r'(name="csrf-token" content|name="csrf_token" value)="[^"]*"', "", html)
