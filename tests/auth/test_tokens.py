"""Logging in, what a token proves, and the role gates: only genuine, current tokens pass."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from jose import jwt

from service.auth.models import User
from service.auth.passwords import hash_password
from tests.conftest import DEMO_PASSWORD, Api, MakeUser, Server, served_until_refused
from tests.factories import application

PROBLEM = "application/problem+json"


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(part: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _login(api: Api, username: str, password: str) -> httpx.Response:
    return api.client.post("/auth/token", data={"username": username, "password": password})


def _user_id(api: Api, username: str) -> int:
    response = api.get("/auth/me", as_=username)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def _assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:relief:problem:")
    return body


# --- logging in --------------------------------------------------------------------------


def test_login_gives_bearer_token_that_identifies_the_user(api: Api) -> None:
    response = _login(api, "tr.dongcheng", DEMO_PASSWORD)
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "bearer"
    assert isinstance(token["expires_in"], int)
    assert token["expires_in"] > 0
    assert token["access_token"]

    me = api.client.get(
        "/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"}
    ).json()
    assert me["username"] == "tr.dongcheng"
    assert me["roles"] == ["township_reviewer"]
    assert me["jurisdictions"] == ["130123100"]

    # Each user's own token shows their own roles and jurisdiction.
    expected = {
        "cw.lizhuang": (["caseworker"], ["130123100201"]),
        "au.county": (["auditor"], ["130123"]),
    }
    for username, (roles, jurisdictions) in expected.items():
        me = api.get("/auth/me", as_=username).json()
        assert (me["username"], me["roles"], me["jurisdictions"]) == (
            username,
            roles,
            jurisdictions,
        )


def test_wrong_password_is_401_and_audited_as_login_failed(api: Api) -> None:
    response = _login(api, "tr.xihe", "not-the-password-" + uuid.uuid4().hex)
    body = _assert_problem(response, 401)
    assert "access_token" not in body
    request_id = response.headers["X-Request-ID"]

    events = api.get(
        "/audit/events",
        as_="au.county",
        params={"action": "login_failed", "actor": "tr.xihe", "limit": 1000},
    )
    assert events.status_code == 200, events.text
    mine = [e for e in events.json()["items"] if e["request_id"] == request_id]
    assert len(mine) == 1, events.json()["items"]
    assert mine[0]["actor"] == "tr.xihe"
    assert mine[0]["action"] == "login_failed"
    assert mine[0]["region"] == "130123200"
    # The attempted password is never written to the trail.
    assert "not-the-password-" not in json.dumps(mine[0], ensure_ascii=False)


def test_unknown_username_is_401_like_a_wrong_password(api: Api) -> None:
    unknown = _login(api, "nobody." + uuid.uuid4().hex[:8], DEMO_PASSWORD)
    wrong = _login(api, "cw.wangzhuang", "wrong-" + uuid.uuid4().hex)
    unknown_body = _assert_problem(unknown, 401)
    wrong_body = _assert_problem(wrong, 401)
    # Same answer either way: the response does not reveal which usernames exist.
    assert unknown_body["detail"] == wrong_body["detail"]
    assert unknown_body["type"] == wrong_body["type"]


# --- tokens that must not pass -------------------------------------------------------------

# Each forger gets (server, the cw.lizhuang user id, the id of another user, a valid token).
Forger = Callable[[Server, int, int, str], str | None]


def _secret(server: Server) -> str:
    return server.backend.env["RELIEF_SECRET_KEY"]


def _mark(token: str) -> str:
    """The password mark a token of the server carries (``pwd``)."""
    return str(_unb64(token.split(".")[1])["pwd"])


def _claims(
    sub: int,
    *,
    exp: timedelta | None = timedelta(minutes=30),
    age: timedelta = timedelta(0),
    pwd: str = "",
) -> dict[str, object]:
    """Claims like the server's own, issued ``age`` ago and expiring ``exp`` from now, with
    the password mark ``pwd`` (that of a token the server issued, to pass that check)."""
    now = datetime.now(UTC)
    issued = now - age
    claims: dict[str, object] = {"sub": str(sub), "name": "cw.lizhuang", "iat": issued}
    claims["pwd"] = pwd
    claims["nbf"] = issued
    if exp is not None:
        claims["exp"] = now + exp
    return claims


def _edited(token: str, other_id: int) -> str:
    header, payload, signature = token.split(".")
    claims = _unb64(payload)
    claims["sub"] = str(other_id)
    return f"{header}.{_b64(claims)}.{signature}"


def _alg_none(user_id: int, pwd: str) -> str:
    claims = _claims(user_id, pwd=pwd)
    claims = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in claims.items()}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


BAD_TOKENS: dict[str, Forger] = {
    "missing": lambda server, uid, other, valid: None,
    "malformed": lambda server, uid, other, valid: "abc",
    "expired": lambda server, uid, other, valid: jwt.encode(
        _claims(uid, exp=timedelta(minutes=-5), age=timedelta(hours=2), pwd=_mark(valid)),
        _secret(server),
        algorithm="HS256",
    ),
    "no_exp": lambda server, uid, other, valid: jwt.encode(
        _claims(uid, exp=None, pwd=_mark(valid)), _secret(server), algorithm="HS256"
    ),
    "alg_none": lambda server, uid, other, valid: _alg_none(uid, _mark(valid)),
    "other_key": lambda server, uid, other, valid: jwt.encode(
        _claims(uid, pwd=_mark(valid)),
        "another-key-" + uuid.uuid4().hex + uuid.uuid4().hex,
        algorithm="HS256",
    ),
    "hs512_right_secret": lambda server, uid, other, valid: jwt.encode(
        _claims(uid, pwd=_mark(valid)), _secret(server), algorithm="HS512"
    ),
    "edited_payload": lambda server, uid, other, valid: _edited(valid, other),
    "unknown_user": lambda server, uid, other, valid: jwt.encode(
        _claims(987654321, pwd=_mark(valid)), _secret(server), algorithm="HS256"
    ),
}

PROTECTED: tuple[tuple[str, str, dict | None], ...] = (
    ("GET", "/auth/me", None),
    ("GET", "/applications", None),
    ("POST", "/tasks/1/complete", {"decision": "approve", "data": {}}),
)


def test_bad_tokens_are_refused_with_401_everywhere(api: Api) -> None:
    user_id = _user_id(api, "cw.lizhuang")
    other_id = _user_id(api, "ca.county")
    valid = api.server.token("cw.lizhuang")
    for kind, forge in BAD_TOKENS.items():
        token = forge(api.server, user_id, other_id, valid)
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        for method, path, body in PROTECTED:
            response = api.client.request(method, path, headers=headers, json=body)
            where = f"{kind} token on {method} {path}"
            assert response.status_code == 401, f"{where}: {response.text}"
            assert response.headers["content-type"].startswith(PROBLEM), where
            problem = response.json()
            assert problem["status"] == 401, where
            assert problem["type"] == "urn:relief:problem:not-authenticated", where
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), where


def test_genuine_token_passes_the_same_checks(api: Api) -> None:
    # Control for the forgeries: a token built the same way, but valid, is accepted.
    user_id = _user_id(api, "cw.lizhuang")
    pwd = _mark(api.server.token("cw.lizhuang"))
    token = jwt.encode(_claims(user_id, pwd=pwd), _secret(api.server), algorithm="HS256")
    response = api.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["username"] == "cw.lizhuang"
    listed = api.client.get("/applications", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text


# --- role gates ----------------------------------------------------------------------------


def _newest_case_id(api: Api) -> int | None:
    response = api.get("/applications", as_="au.county", params={"limit": 1})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return items[0]["id"] if items else None


def test_auditor_cannot_submit_an_application(api: Api) -> None:
    before = _newest_case_id(api)
    response = api.post("/applications", as_="au.county", json=application())
    body = _assert_problem(response, 403)
    assert body["type"] == "urn:relief:problem:forbidden"
    assert _newest_case_id(api) == before  # nothing was created


def test_caseworker_cannot_read_the_audit_trail(api: Api) -> None:
    response = api.get("/audit/events", as_="cw.lizhuang")
    body = _assert_problem(response, 403)
    assert body["type"] == "urn:relief:problem:forbidden"
    assert "items" not in body


def test_a_disabled_user_is_refused_within_the_user_cache_window(
    api: Api, server: Server, make_user: MakeUser
) -> None:
    """Servers keep a user's row for ``RELIEF_USER_CACHE_SECONDS`` (5 s) instead of reading it
    on every request: a user disabled in the database loses access within that window, even
    with a token that has not expired."""
    username = make_user(["caseworker"], "130123100201")
    headers = {"Authorization": f"Bearer {server.token(username)}"}
    assert api.client.get("/tasks", headers=headers).status_code == 200  # now cached
    with server.backend.engine.begin() as connection:
        connection.execute(
            sa.update(User.__table__).where(User.__table__.c.username == username),
            {"active": False},
        )
    response = served_until_refused(
        lambda: api.client.get("/tasks", headers=headers), changed_at=time.monotonic()
    )
    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "user unknown or disabled"


def test_a_password_set_elsewhere_revokes_earlier_tokens_within_the_user_cache_window(
    api: Api, server: Server, make_user: MakeUser
) -> None:
    """A token carries a mark of the password it was issued under: a password set in another
    process (here the database, as ``relief users set-password`` writes it) refuses every
    token issued before, within ``RELIEF_USER_CACHE_SECONDS``, as a disabled user is."""
    username = make_user(["caseworker"], "130123100201")
    headers = {"Authorization": f"Bearer {server.token(username)}"}
    assert api.client.get("/tasks", headers=headers).status_code == 200  # now cached
    new_password = f"harbour {uuid.uuid4().hex[:8]} lantern"
    with server.backend.engine.begin() as connection:
        connection.execute(
            sa.update(User.__table__).where(User.__table__.c.username == username),
            {"password_hash": hash_password(new_password)},
        )
    response = served_until_refused(
        lambda: api.client.get("/tasks", headers=headers), changed_at=time.monotonic()
    )
    assert _assert_problem(response, 401)["code"] == "token-revoked"
    fresh = _login(api, username, new_password)
    assert fresh.status_code == 200, fresh.text
    again = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    assert api.client.get("/tasks", headers=again).status_code == 200
