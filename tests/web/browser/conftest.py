"""Browser journeys: Playwright (pytest-playwright) driving Debian's Chromium.

The browser is ``/usr/bin/chromium`` from apt, never one ``playwright install`` downloads.
Without it the journeys skip with the command that installs it; under ``CI=true`` they fail.

Each user acts in a browser context of their own (own cookies, own session), logged in
through the real login form: ``console.login("vh.lizhuang")`` gives that user's page.

A journey fails on anything the browser reports as wrong: a console error, an uncaught page
error, a failed request, or a response of status 400 or more that the page loaded, unless the
test declared it (``console.expect_status(404, "/applications/12")``). When a journey fails,
a screenshot (and the HTML) of every page it had open is kept under
``test-artifacts/browser/<test>/``.

``RELIEF_SCREENSHOTS=<folder>`` makes the journeys save full-page screenshots of the main
pages there (``make screenshots`` writes the README's ``docs/img/``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    BrowserType,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    Request,
    Response,
    expect,
    sync_playwright,
)

from tests.conftest import DEMO_PASSWORD, ROOT

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "apt-get install -y --no-install-recommends chromium"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# A guard against a page that never comes, not a speed bound: a busy machine (other work on
# every core, or more pytest workers than cores) takes tens of seconds for what takes one.
TIMEOUT_MS = 60_000
# Assertions wait as long as actions do (Playwright's own default for them is 5 s).
expect.set_options(timeout=TIMEOUT_MS)
FAILED_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of (\d+)")


def chromium_or_skip() -> Path:
    """The system Chromium; skip without it, but fail under ``CI=true`` (CI must run them)."""
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM}: {INSTALL_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: the browser tests are required)", pytrace=False)
    pytest.skip(message)


# --- pytest-playwright's fixtures, pointed at Debian's Chromium ----------------------------
#
# Playwright's sync API keeps an asyncio event loop running in this thread from start() to
# stop(). pytest-asyncio's tests (asyncio_mode=auto, one session loop) cannot run while it
# does ("Runner.run() cannot be called from a running event loop"), so the plugin's
# session-wide Playwright is replaced by one per test module: pytest stops it before it runs
# the tests of another module.


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    started = sync_playwright().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="module")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    launched = launch_browser()
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    executable = chromium_or_skip()
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return {**browser_type_launch_args, "executable_path": str(executable), "args": args}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    """Every context: an office laptop's screen, in Chinese, in China's time zone. (Not the
    plugin's, which needs its session-wide Playwright.)"""
    return {"viewport": DESKTOP, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


# --- what the browser reports, and what a test expects -------------------------------------


@dataclass
class Expected:
    status: int
    url: str  # a part of the URL (or a regular expression when ``regex``)
    regex: bool = False

    def matches(self, status: int, url: str) -> bool:
        if status != self.status:
            return False
        return bool(re.search(self.url, url)) if self.regex else self.url in url


@dataclass
class Opened:
    label: str
    context: BrowserContext
    page: Page


@dataclass
class Console:
    """The browser sessions of one test: one context per user, and what went wrong in them."""

    browser: Browser
    context_args: dict[str, Any]
    base_url: str
    expected: list[Expected] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    opened: list[Opened] = field(default_factory=list)

    # -- declaring the refusals a journey provokes on purpose --

    def expect_status(self, status: int, url: str, *, regex: bool = False) -> None:
        """A response of ``status`` for a URL containing ``url`` is part of the journey."""
        self.expected.append(Expected(status, url, regex))

    def _is_expected(self, status: int, url: str) -> bool:
        return any(entry.matches(status, url) for entry in self.expected)

    # -- sessions --

    def open(self, label: str = "anonymous", *, viewport: dict[str, int] | None = None) -> Page:
        """A new browser context (no cookies) with one page, watched for problems."""
        args = {**self.context_args, **({"viewport": viewport} if viewport else {})}
        context = self.browser.new_context(**args)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        self._watch(label, page)
        self.opened.append(Opened(label, context, page))
        return page

    def login(
        self,
        username: str,
        *,
        viewport: dict[str, int] | None = None,
        password: str = DEMO_PASSWORD,
    ) -> Page:
        """``username``'s own session, logged in through the login form; on the inbox."""
        page = self.open(username, viewport=viewport)
        page.goto(self.url("/login"))
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        screenshot(page, "login")
        with page.expect_navigation():
            page.locator("form[action='/login'] [type=submit]").click()
        page.wait_for_load_state("load")
        if "/login" in page.url:
            shown = page.locator("#main").inner_text().strip().replace("\n", " ")
            raise AssertionError(f"{username} could not log in: {page.url} shows {shown[:300]!r}")
        return page

    def url(self, path: str) -> str:
        return self.base_url + path

    def close(self) -> None:
        for opened in self.opened:
            with contextlib.suppress(Exception):  # a context the browser already lost
                opened.context.close()
        self.opened.clear()

    # -- watching --

    def _watch(self, label: str, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type != "error":
                return
            failed = FAILED_LOAD.match(message.text)
            where = message.location.get("url", "") if message.location else ""
            if failed and self._is_expected(int(failed.group(1)), where):
                return
            self.problems.append(f"[{label}] console error on {page.url}: {message.text} {where}")

        def on_page_error(error: Exception) -> None:
            self.problems.append(f"[{label}] page error on {page.url}: {error}")

        def on_response(response: Response) -> None:
            if response.status >= 400 and not self._is_expected(response.status, response.url):
                request = response.request
                self.problems.append(
                    f"[{label}] unexpected {response.status} for {request.method} {response.url}"
                )

        def on_request_failed(request: Request) -> None:
            failure = request.failure or ""
            # A navigation that replaces the page cancels what it was still loading.
            if "ERR_ABORTED" in failure:
                return
            self.problems.append(
                f"[{label}] request failed: {request.method} {request.url} {failure}"
            )

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        # data-confirm asks with window.confirm(): a user who clicked means yes.
        page.on("dialog", lambda dialog: dialog.accept())

    def report(self) -> str:
        return "\n".join(self.problems)

    def keep_artifacts(self, folder: Path) -> list[Path]:
        """A screenshot and the HTML of every open page (after a failure)."""
        saved: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)
        for number, opened in enumerate(self.opened, 1):
            stem = folder / f"{number:02d}-{safe_name(opened.label)}"
            for page in opened.context.pages:
                try:
                    page.screenshot(path=f"{stem}.png", full_page=True, timeout=TIMEOUT_MS)
                    Path(f"{stem}.html").write_text(
                        f"<!-- {page.url} -->\n" + page.content(), encoding="utf-8"
                    )
                    saved.append(Path(f"{stem}.png"))
                except Exception as error:  # noqa: BLE001 — keep what can be kept
                    Path(f"{stem}.txt").write_text(f"{page.url}\n{error}\n", encoding="utf-8")
                stem = stem.with_name(stem.name + "+")
        return saved


def submit(page: Page, button: Locator) -> Response:
    """Click a form's submit button and wait until its answer is on screen: the next page of
    a plain form post (after its redirect), or htmx's swap (or its HX-Redirect). Returns the
    answer to the POST itself (a 303, a 422 re-render, a 403 refusal…)."""
    page.evaluate("() => { window.__reliefBeforeSubmit = true; }")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        button.click()
    response = posted.value
    response.finished()
    navigates = response.request.is_navigation_request() or "hx-redirect" in response.headers
    if navigates:
        page.wait_for_function("() => window.__reliefBeforeSubmit !== true")
        page.wait_for_load_state("load")
    else:
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
    return response


def follow(page: Page, target: Locator) -> None:
    """Click a link or a GET form's button and wait until the page it leads to has loaded."""
    page.evaluate("() => { window.__reliefBeforeFollow = true; }")
    target.click()
    page.wait_for_function("() => window.__reliefBeforeFollow !== true")
    page.wait_for_load_state("load")


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:120] or "page"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """With ``RELIEF_SCREENSHOTS=<folder>``: the page as the README shows it, ``<name>.png``."""
    folder = os.environ.get("RELIEF_SCREENSHOTS")
    if not folder:
        return
    target = Path(folder)
    if not target.is_absolute():
        target = ROOT / target
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=full_page, animations="disabled")


# --- fixtures -------------------------------------------------------------------------------

ConsoleFactory = Callable[[str], Console]
CONSOLES = pytest.StashKey[list[Console]]()


@pytest.fixture
def console_for(
    request: pytest.FixtureRequest, browser: Browser, browser_context_args: dict[str, Any]
) -> Iterator[ConsoleFactory]:
    """Browser sessions against the server at a given base URL (e.g. a test's own server)."""
    consoles: list[Console] = []
    request.node.stash[CONSOLES] = consoles

    def make(base_url: str) -> Console:
        console = Console(browser, browser_context_args, base_url.rstrip("/"))
        consoles.append(console)
        return console

    yield make
    for console in consoles:
        console.close()


@pytest.fixture
def console(console_for: ConsoleFactory, server: Any) -> Console:
    """Browser sessions against the session's shared server (SQLite and PostgreSQL)."""
    return console_for(server.url)


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts() -> None:
    """Keep only this run's failures in test-artifacts/browser/."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A journey that passed but whose browser reported problems fails; every failure keeps a
    screenshot of each page it had open."""
    outcome = yield
    report = outcome.get_result()
    if report.when not in ("setup", "call"):
        return
    consoles = item.stash.get(CONSOLES, [])
    problems = [problem for console in consoles for problem in console.problems]
    if report.when == "call" and report.passed and problems:
        report.outcome = "failed"
        report.longrepr = "The browser reported problems:\n" + "\n".join(problems)
    elif report.failed and problems:
        report.sections.append(("browser problems", "\n".join(problems)))
    if report.failed and consoles:
        folder = ARTIFACTS / safe_name(item.nodeid.split("::")[-1])
        saved = [path for console in consoles for path in console.keep_artifacts(folder)]
        if saved:
            report.sections.append(("browser screenshots", "\n".join(str(path) for path in saved)))
