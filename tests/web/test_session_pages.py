"""The console's session, on both databases: logging in and out, the signed cookie, CSRF, the
login throttle, the security headers of pages, error pages and the language switch.

Sessions are stateless: the cookie itself (signed JSON: user id, CSRF token, start time,
language, a mark of the password hash) is the whole session, the server keeps nothing. Logging
out therefore clears the *client's* cookie (the response sets a new, anonymous one); a copy of
the old value taken before would still carry a valid signature until it expires
(``RELIEF_WEB_SESSION_MINUTES``) or the user's password changes, which ends every session made
before it. These tests pin exactly that behaviour.
"""

from __future__ import annotations

import base64
import json
import re
import time
import zlib
from collections.abc import Iterator

import httpx
import pytest
from itsdangerous import URLSafeSerializer

from tests.conftest import DEMO_PASSWORD, MakeUser, Server, served_until_refused, start_server
from tests.web.pages import Page, csrf_of, logged_in

COOKIE = "relief_session"
SALT = "relief.web.session"  # service/web/sessions.py
DEFAULT_MINUTES = 480
LOGIN_MAX_FAILURES = 5  # settings.login_max_failures
CASEWORKER_VILLAGE = "130123100201"


def _session_cookie_header(response: httpx.Response) -> str:
    """The Set-Cookie header of the session cookie in ``response``."""
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0]


def _attributes(header: str) -> dict[str, str]:
    parts = [part.strip() for part in header.split(";")[1:]]
    return {k.lower(): v for k, _, v in (part.partition("=") for part in parts)}


def _payload(value: str) -> dict:
    """The JSON a cookie value carries, read without the key: it is signed, not encrypted."""
    payload = value.rsplit(".", 1)[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def _serializer(server: Server) -> URLSafeSerializer:
    return URLSafeSerializer(server.backend.env["RELIEF_SECRET_KEY"], salt=SALT)


def _needs_login(page: Page, path: str = "/") -> None:
    response = page.get(path)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/login?next=")


# --- logging in ------------------------------------------------------------------------------


def test_the_inbox_needs_a_login(server: Server) -> None:
    response = Page(server).get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


def test_a_wrong_password_shows_the_form_again_without_a_session(server: Server) -> None:
    page = Page(server)
    page.get("/login")
    response = page.post("/login", {"username": "ca.county", "password": "not-the-password"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    assert 'name="password"' in response.text
    assert 'value="ca.county"' in response.text  # the username is kept
    assert 'class="flash-error" role="alert"' in response.text
    _needs_login(page)


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/review", "/review"),
        ("/public/notices?county=130123", "/public/notices?county=130123"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_a_login_goes_to_the_local_page_asked_for_only(
    server: Server, target: str, landing: str
) -> None:
    page = Page(server)
    page.get("/login")
    response = page.post(
        "/login", {"username": "ca.county", "password": DEMO_PASSWORD, "next": target}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == landing


def test_the_session_cookie_is_httponly_lax_signed_and_holds_no_password(server: Server) -> None:
    page = Page(server)
    page.get("/login")
    response = page.post("/login", {"username": "ca.county", "password": DEMO_PASSWORD})
    assert response.status_code == 303
    header = _session_cookie_header(response)
    attributes = _attributes(header)
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert int(attributes["max-age"]) == DEFAULT_MINUTES * 60
    value = page.client.cookies[COOKIE]
    assert DEMO_PASSWORD not in value
    stored = _payload(value)
    assert set(stored) == {"csrf", "started", "user_id", "password_mark", "language", "flash"}
    assert isinstance(stored["user_id"], int)
    assert DEMO_PASSWORD not in json.dumps(stored)
    assert "ca.county" not in json.dumps(stored)
    assert _serializer(server).loads(value) == stored  # signed with the service's key
    assert page.get("/").status_code == 200


def test_a_tampered_cookie_is_ignored(server: Server) -> None:
    page = logged_in(server, "ca.county")
    value = page.client.cookies[COOKIE]
    payload, signature = value.rsplit(".", 1)
    # Another user id under the old signature, and the old payload under a changed signature.
    stored = _payload(value)
    forged_payload = base64.urlsafe_b64encode(
        json.dumps({**stored, "user_id": stored["user_id"] + 1}, separators=(",", ":")).encode()
    ).decode()
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in (f"{forged_payload.rstrip('=')}.{signature}", f"{payload}.{flipped}"):
        other = Page(server)
        other.client.cookies.set(COOKIE, forged)
        _needs_login(other)


# --- CSRF ------------------------------------------------------------------------------------


def test_a_login_without_the_csrf_token_is_refused(server: Server) -> None:
    page = Page(server)
    page.get("/login")
    response = page.post("/login", {"username": "ca.county", "password": DEMO_PASSWORD}, csrf=False)
    assert response.status_code == 403
    _needs_login(page)


def test_a_csrf_token_of_another_session_is_refused(server: Server) -> None:
    mine, theirs = Page(server), Page(server)
    mine.get("/login")
    theirs.get("/login")
    assert mine.csrf != theirs.csrf
    response = mine.post(
        "/login",
        {"username": "ca.county", "password": DEMO_PASSWORD, "csrf_token": theirs.csrf},
    )
    assert response.status_code == 403
    _needs_login(mine)


def test_a_form_posted_from_another_site_is_refused(server: Server) -> None:
    page = logged_in(server, "ca.county")
    response = page.post(
        "/language", {"language": "en"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert '<html lang="zh-CN">' in page.get("/").text  # the switch did not happen
    # The same form from this site's own origin goes through.
    response = page.post("/language", {"language": "en"}, headers={"Origin": server.url})
    assert response.status_code == 303


# --- the end of a session --------------------------------------------------------------------


def test_logging_out_ends_the_session_even_for_a_copy_of_its_cookie(
    server: Server, make_user: MakeUser
) -> None:
    """Logout replaces the client's cookie with an anonymous one, and ends on the server every
    web session of the user begun before it: a copied cookie (or another device) still has a
    valid signature but no longer logs anyone in. A new login works at once."""
    username = make_user(["caseworker"], CASEWORKER_VILLAGE)
    page = logged_in(server, username)
    other_device = logged_in(server, username)
    old = page.client.cookies[COOKIE]
    response = page.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    new = page.client.cookies[COOKIE]
    assert new != old
    assert _payload(new)["user_id"] is None
    _needs_login(page)
    assert _serializer(server).loads(old)["user_id"] is not None  # the signature is still good
    copy = Page(server)
    copy.client.cookies.set(COOKIE, old)
    _needs_login(copy)
    _needs_login(other_device)
    assert logged_in(server, username).get("/").status_code == 200


def test_a_password_change_ends_the_web_session(server: Server, make_user: MakeUser) -> None:
    username = make_user(["caseworker"], CASEWORKER_VILLAGE)
    page = logged_in(server, username)
    assert page.get("/").status_code == 200
    response = httpx.post(
        f"{server.url}/api/v1/auth/password",
        headers={"Authorization": f"Bearer {server.token(username)}"},
        json={"current_password": DEMO_PASSWORD, "new_password": "a-new-long-passphrase-42"},
    )
    assert response.status_code == 204, response.text
    # A server keeps a user's row for RELIEF_USER_CACHE_SECONDS (5 s) before reading it again.
    answer = served_until_refused(lambda: page.get("/"), changed_at=time.monotonic())
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/"


@pytest.fixture
def short_session_server(server: Server) -> Iterator[Server]:
    """A second server process on the same database whose logins last 30 minutes."""
    env = {**server.backend.env, "RELIEF_WEB_SESSION_MINUTES": "30"}
    process, url = start_server(env)
    try:
        yield Server(url, server.backend)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_cookie_lives_as_long_as_configured(short_session_server: Server) -> None:
    page = Page(short_session_server)
    page.get("/login")
    response = page.post("/login", {"username": "ca.county", "password": DEMO_PASSWORD})
    assert response.status_code == 303
    assert int(_attributes(_session_cookie_header(response))["max-age"]) == 30 * 60


def test_too_many_wrong_passwords_lock_the_login_form(server: Server, make_user: MakeUser) -> None:
    username = make_user(["caseworker"], CASEWORKER_VILLAGE)
    page = Page(server)
    page.get("/login")
    for _ in range(LOGIN_MAX_FAILURES):
        response = page.post("/login", {"username": username, "password": "wrong-guess"})
        assert response.status_code == 401
    # Locked now: even the right password is refused, with the form and when to retry.
    response = page.post("/login", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert 'name="password"' in response.text
    _needs_login(page)


# --- what every page carries -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/", "/public/notices"])
def test_pages_carry_the_security_headers(server: Server, path: str) -> None:
    page = logged_in(server, "ca.county") if path == "/" else Page(server)
    response = page.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";") if d.strip()}
    assert "'self'" in directives["script-src"].split()
    assert "'self'" in directives["style-src"].split()
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert "no-store" in response.headers["cache-control"]
    # Not no-referrer: under it Chromium posts the site's own forms with "Origin: null".
    assert response.headers["referrer-policy"] == "same-origin"


def test_a_missing_page_is_an_html_404(server: Server) -> None:
    page = logged_in(server, "ca.county")
    response = page.get("/applications/999999999")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text
    assert csrf_of(response.text)  # a whole page: the header's forms are there


# --- languages -------------------------------------------------------------------------------


def test_the_console_speaks_chinese_until_switched_to_english(server: Server) -> None:
    page = logged_in(server, "ca.county")
    assert re.search(r'<html lang="zh-CN">', page.get("/").text)
    response = page.post("/language", {"language": "en", "next": "/"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    english = page.get("/").text
    assert '<html lang="en">' in english
    assert ">Inbox</a>" in english
    assert ">Log out</button>" in english
    # And back.
    page.post("/language", {"language": "zh_CN", "next": "/"})
    assert '<html lang="zh-CN">' in page.get("/").text
