"""Guessing passwords: after five failures from one address the account waits there, and the
lock is on the trail (the other limits: test_login_limits.py)."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import DEMO_PASSWORD, Api, MakeUser, assert_problem


def _login(api: Api, username: str, password: str) -> httpx.Response:
    return api.post("/auth/token", as_=None, data={"username": username, "password": password})


def test_fifth_failure_locks_the_account_at_that_address_even_for_the_right_password(
    api: Api, make_user: MakeUser
) -> None:
    username = make_user(["caseworker"], "130123100201")
    for _ in range(5):
        assert_problem(_login(api, username, "guess-" + uuid.uuid4().hex), 401)

    locked = _login(api, username, DEMO_PASSWORD)
    body = assert_problem(locked, 429, "too-many-attempts")
    assert int(locked.headers["Retry-After"]) > 0
    assert body["retry_after"] == int(locked.headers["Retry-After"])

    events = api.get("/audit/events", as_="au.county", params={"actor": username}).json()["items"]
    actions = [event["action"] for event in events]
    assert actions.count("login_failed") == 5  # the refused sixth attempt wrote nothing
    assert actions.count("login_locked") == 1


def test_a_success_before_the_limit_clears_the_count(api: Api, make_user: MakeUser) -> None:
    username = make_user(["caseworker"], "130123100201")
    for _ in range(4):
        assert_problem(_login(api, username, "guess-" + uuid.uuid4().hex), 401)
    assert _login(api, username, DEMO_PASSWORD).status_code == 200
    for _ in range(4):
        assert_problem(_login(api, username, "guess-" + uuid.uuid4().hex), 401)
    assert _login(api, username, DEMO_PASSWORD).status_code == 200


def test_one_locked_account_does_not_lock_its_colleagues(api: Api, make_user: MakeUser) -> None:
    victim = make_user(["caseworker"], "130123100201")
    for _ in range(5):
        _login(api, victim, "guess-" + uuid.uuid4().hex)
    assert _login(api, victim, DEMO_PASSWORD).status_code == 429
    colleague = make_user(["caseworker"], "130123100201")
    assert _login(api, colleague, DEMO_PASSWORD).status_code == 200
