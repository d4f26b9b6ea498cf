"""Passwords: the policy (NIST SP 800-63B), changing one's own, and ``relief users``.

The session database is shared and its demo users are everyone's: the tests here change only
the passwords of users they add themselves, with the CLI, under unique names. Each request
comes from a client address of its own (the server trusts X-Forwarded-For from loopback), so
no test spends another's login allowance.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import uuid
from collections.abc import Callable

import httpx
import pytest

from service.auth.passwords import (
    COMMON,
    HAS_USERNAME,
    MAX_LENGTH,
    SIMPLE,
    TOO_LONG,
    check_policy,
    common_passwords,
)
from tests.conftest import ROOT, Api, Backend, assert_problem, relief_cli

GOOD = "violet kettle under 9 bridges"
# 128 characters of words, not repeated.
LONGEST = (
    "amber rivers carry slow barges past the old mill where seven herons wait for "
    "dusk and the ferryman hums a tune nobody remembers"
)[:128].ljust(128, "x")
VILLAGE = "130123100201"  # 李庄村 of the demo county

# --- the policy --------------------------------------------------------------------------


def _reasons(password: str, username: str = "cw.lizhuang") -> list[str]:
    return check_policy(password, username=username, min_length=12)


@pytest.mark.parametrize(
    "password",
    [GOOD, "correct horse battery staple", "dragon83746251", "蓝色的天空下有一只小狗在跑", LONGEST],
    ids=["passphrase", "xkcd", "word-and-random-digits", "chinese", "128-characters"],
)
def test_a_long_uncommon_password_is_accepted(password: str) -> None:
    assert _reasons(password) == []


def test_no_composition_rule_applies() -> None:
    """Lower case letters and spaces only is fine: NIST SP 800-63B wants no composition rules."""
    assert _reasons("orchard lamp quietly sings") == []


def test_too_short() -> None:
    assert _reasons("kX9#qL2!vb") == ["must have at least 12 characters"]
    assert check_policy("kX9#qL2!vb", username="u", min_length=8) == []


def test_too_long_at_129_characters() -> None:
    assert len(LONGEST) == MAX_LENGTH == 128
    assert _reasons(LONGEST + "y") == [TOO_LONG]


@pytest.mark.parametrize(
    "password", ["my cw.lizhuang secret", "CW.LIZHUANG-2024-key", "lizhuang rivers run"]
)
def test_containing_the_username_or_a_part_of_it(password: str) -> None:
    assert HAS_USERNAME in _reasons(password)


@pytest.mark.parametrize(
    "password",
    ["qwerty123456", "Password2024!", "P@ssw0rd2024!", "iloveyou12345", "monkey12345678"]
    + ["woaini1314!!", "relief-demo-2024", "Sunshine!!!!", "dr@g0n!!2024"],
)
def test_common_passwords_also_with_affixes_and_l33t(password: str) -> None:
    assert _reasons(password) == [COMMON]


def test_the_blocklist_is_loaded_from_the_shipped_file() -> None:
    blocked = common_passwords()
    assert len(blocked) > 5000
    assert {"password", "123456", "qwerty123456", "woaini1314"} <= blocked
    assert not any(entry.startswith("#") or entry != entry.lower() for entry in blocked)


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaaaa", "abcdefghijklmn", "123456789012", "9876543210987", "zyxwvutsrqpo"]
    + ["qwertyuiopasdf", "1qaz2wsx3edc", "abcabcabcabcabc", "xyzabcdefghij"],
)
def test_one_character_repeated_patterns_and_sequences(password: str) -> None:
    assert _reasons(password) == [SIMPLE]


def test_every_broken_rule_is_a_reason_and_none_quotes_the_password() -> None:
    reasons = _reasons("cw.lizhuang")
    assert reasons[0] == "must have at least 12 characters"
    assert HAS_USERNAME in reasons
    assert not any("lizhuang" in reason for reason in reasons)


# --- users of the test's own, added with the CLI -----------------------------------------

_addresses = itertools.count(1)


def _address() -> str:
    n = next(_addresses)
    return f"10.77.{n // 256 % 256}.{n % 256}"


def _cli(backend: Backend, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``relief`` with standard input piped in (not a terminal: the password is one line)."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env=backend.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def account(backend: Backend) -> tuple[str, str]:
    """A caseworker of 李庄村 added and given a password with ``relief users``."""
    username = f"t.pw.{uuid.uuid4().hex[:10]}"
    added = relief_cli(
        backend.env, "users", "add", username, "--role", "caseworker", "--region", VILLAGE
    )
    assert username in added.stdout
    password = f"meadow {uuid.uuid4().hex[:8]} lantern"
    done = _cli(backend, "users", "set-password", username, stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    return username, password


def _login(api: Api, username: str, password: str) -> httpx.Response:
    return api.client.post(
        "/auth/token",
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": _address()},
    )


def _token(api: Api, username: str, password: str) -> str:
    response = _login(api, username, password)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


Change = Callable[[str, str], httpx.Response]


def _changer(api: Api, token: str, address: str | None = None) -> Change:
    """Password changes with ``token``, from ``address`` or one of their own (through the
    test server's trusted proxy, 127.0.0.1): the login limits count per username and address."""
    address = address or _address()

    def change(current: str, new: str) -> httpx.Response:
        return api.client.post(
            "/auth/password",
            json={"current_password": current, "new_password": new},
            headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": address},
        )

    return change


def _trail(api: Api, username: str) -> list[dict]:
    response = api.get("/audit/events", as_="au.county", params={"actor": username, "limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_user_added_with_the_cli_logs_in_once_a_password_is_set(
    api: Api, backend: Backend
) -> None:
    username = f"t.pw.{uuid.uuid4().hex[:10]}"
    relief_cli(backend.env, "users", "add", username, "--role", "caseworker", "--region", VILLAGE)
    assert _login(api, username, "").status_code in (401, 422)  # no password yet
    password = "ember fields at dusk " + uuid.uuid4().hex[:6]
    done = _cli(backend, "users", "set-password", username, stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    me = api.client.get(
        "/auth/me", headers={"Authorization": f"Bearer {_token(api, username, password)}"}
    ).json()
    assert (me["username"], me["roles"], me["jurisdictions"]) == (
        username,
        ["caseworker"],
        [VILLAGE],
    )
    # Both are on the trail of the user's county, and neither holds the password.
    events = api.get(
        "/audit/events", as_="au.county", params={"action": "password_set", "limit": 1000}
    ).json()["items"]
    mine = [event for event in events if (event["after"] or {}).get("username") == username]
    assert len(mine) == 1
    assert mine[0]["actor"].startswith("cli:")
    assert password not in json.dumps(mine, ensure_ascii=False)


def test_a_wrong_current_password_is_401_and_changes_nothing(
    api: Api, account: tuple[str, str]
) -> None:
    username, password = account
    change = _changer(api, _token(api, username, password))
    assert_problem(change("not-it-" + uuid.uuid4().hex, GOOD), 401, "not-authenticated")
    assert _login(api, username, password).status_code == 200
    assert _login(api, username, GOOD).status_code == 401
    actions = [event["action"] for event in _trail(api, username)]
    assert actions.count("password_change_failed") == 1
    assert "password_changed" not in actions


def test_a_weak_new_password_is_422_with_every_reason(api: Api, account: tuple[str, str]) -> None:
    username, password = account
    change = _changer(api, _token(api, username, password))
    weak = username.split(".")[-1]  # short, and a part of the username
    body = assert_problem(change(password, weak), 422, "invalid-input")
    assert {error["field"] for error in body["errors"]} == {"new_password"}
    messages = [error["message"] for error in body["errors"]]
    assert "must have at least 12 characters" in messages
    assert HAS_USERNAME in messages
    assert weak not in json.dumps(body, ensure_ascii=False)

    body = assert_problem(change(password, "Password2024!"), 422, "invalid-input")
    assert [error["message"] for error in body["errors"]] == [COMMON]
    body = assert_problem(change(password, password), 422, "invalid-input")
    assert "must differ from the current password" in body["errors"][0]["message"]

    assert _login(api, username, password).status_code == 200  # still the old password
    assert "password_changed" not in [event["action"] for event in _trail(api, username)]


def test_a_good_change_replaces_the_password(api: Api, account: tuple[str, str]) -> None:
    username, password = account
    old_token = _token(api, username, password)
    new = f"quiet harbour {uuid.uuid4().hex[:6]} morning"
    response = _changer(api, old_token)(password, new)
    assert response.status_code == 204, response.text
    assert response.content == b""

    assert_problem(_login(api, username, password), 401, "not-authenticated")
    new_token = _token(api, username, new)
    # Every token issued before the change is refused from then on, this one included.
    revoked = api.client.get("/auth/me", headers={"Authorization": f"Bearer {old_token}"})
    assert assert_problem(revoked, 401, "not-authenticated")["code"] == "token-revoked"
    fresh = api.client.get("/auth/me", headers={"Authorization": f"Bearer {new_token}"})
    assert fresh.status_code == 200, fresh.text

    # At once again: checked against the stored password, not a copy.
    newer = f"second {uuid.uuid4().hex[:6]} harbour light"
    again = _changer(api, new_token)(new, newer)
    assert again.status_code == 204, again.text
    assert _login(api, username, newer).status_code == 200

    events = [event for event in _trail(api, username) if event["action"] == "password_changed"]
    assert len(events) == 2
    assert events[0]["region"] == VILLAGE
    trail = json.dumps(_trail(api, username), ensure_ascii=False)
    assert newer not in trail
    assert new not in trail
    assert password not in trail


def test_guessing_the_current_password_locks_the_account_at_that_address(
    api: Api, account: tuple[str, str]
) -> None:
    """A stolen token must not become a password oracle: the guesses count as failed logins
    of the account from the thief's address, which is then locked for it (the owner
    elsewhere is not)."""
    username, password = account
    thief = _address()
    change = _changer(api, _token(api, username, password), thief)
    for _ in range(5):
        assert_problem(change("guess-" + uuid.uuid4().hex, GOOD), 401)
    locked = change(password, GOOD)
    assert_problem(locked, 429, "too-many-attempts")
    assert int(locked.headers["Retry-After"]) > 0
    from_thief = api.client.post(
        "/auth/token",
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": thief},
    )
    assert assert_problem(from_thief, 429, "too-many-attempts")["code"] == "login-throttled"
    assert _login(api, username, password).status_code == 200  # the owner, elsewhere
    actions = [event["action"] for event in _trail(api, username)]
    assert actions.count("password_change_failed") == 5
    assert actions.count("login_locked") == 1


# --- relief users: refusals ----------------------------------------------------------------


def test_set_password_refuses_a_weak_one_with_one_reason_per_line(
    backend: Backend, account: tuple[str, str]
) -> None:
    username, _ = account
    weak = username.split(".")[-1]  # short, and a part of the username
    done = _cli(backend, "users", "set-password", username, stdin=weak + "\n")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "password must have at least 12 characters",
        f"password {HAS_USERNAME}",
    ]
    assert "password of" not in done.stdout


def test_set_password_of_an_unknown_user_exits_1(backend: Backend) -> None:
    done = _cli(backend, "users", "set-password", "nobody-" + uuid.uuid4().hex[:6], stdin=GOOD)
    assert done.returncode == 1
    assert "no user" in done.stderr


@pytest.mark.parametrize(
    ("role", "region", "message"),
    [
        ("mayor", VILLAGE, "unknown role 'mayor'"),
        ("caseworker", "130123999999", "unknown region code '130123999999'"),
        ("caseworker", "130123", "a caseworker works at village level"),
    ],
)
def test_add_refuses_an_unknown_role_or_region(
    backend: Backend, role: str, region: str, message: str
) -> None:
    username = f"t.pw.{uuid.uuid4().hex[:10]}"
    done = relief_cli(
        backend.env, "users", "add", username, "--role", role, "--region", region, check=False
    )
    assert done.returncode == 1, done.stdout
    assert message in done.stderr
    # Nothing was created: the name is still free.
    again = relief_cli(
        backend.env, "users", "add", username, "--role", "caseworker", "--region", VILLAGE
    )
    assert again.returncode == 0


def test_add_refuses_a_taken_username(backend: Backend) -> None:
    done = relief_cli(
        backend.env, "users", "add", "cw.lizhuang", "--role", "caseworker", "--region", VILLAGE,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "already exists" in done.stderr
