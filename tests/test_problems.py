"""Every error is an RFC 9457 problem a client can act on: status, type, fields, request id."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx

from tests.conftest import Api, assert_problem
from tests.factories import application

PROBLEM = "application/problem+json"


def _problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert response.headers["X-Request-ID"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def _fields(body: dict) -> list[str]:
    assert isinstance(body["errors"], list)
    assert body["errors"]
    for error in body["errors"]:
        assert error["message"]
    return [error["field"] for error in body["errors"]]


def test_unknown_route_is_404_about_blank(api: Api) -> None:
    response = api.get("/no-such-thing", as_="cw.lizhuang")
    body = _problem(response, 404)
    assert body["type"] == "about:blank"
    assert body["instance"] == "/api/v1/no-such-thing"


def test_non_json_body_is_422_problem(api: Api) -> None:
    response = api.post(
        "/applications",
        as_="cw.lizhuang",
        content=b"program=emergency_consolation&village=130123100201",
        headers={"Content-Type": "application/json"},
    )
    body = _problem(response, 422)
    assert body["type"] == "urn:relief:problem:invalid-input"
    # The body as a whole is what is wrong, not a field inside it.
    assert _fields(body) == ["body"]


def test_missing_required_field_is_422_naming_the_field(api: Api) -> None:
    before = api.get("/applications", as_="cw.lizhuang", params={"limit": 1}).json()["items"]
    without_village = application()
    del without_village["village"]
    body = _problem(api.post("/applications", as_="cw.lizhuang", json=without_village), 422)
    assert body["type"] == "urn:relief:problem:invalid-input"
    assert _fields(body) == ["village"]

    without_id = application()
    without_id["applicant"] = {"name": "王秀英"}
    body = _problem(api.post("/applications", as_="cw.lizhuang", json=without_id), 422)
    assert _fields(body) == ["applicant.id_number"]
    after = api.get("/applications", as_="cw.lizhuang", params={"limit": 1}).json()["items"]
    assert after == before  # nothing was created


def test_wrong_method_is_405_problem(api: Api) -> None:
    response = api.client.delete(
        "/applications", headers={"Authorization": f"Bearer {api.server.token('cw.lizhuang')}"}
    )
    body = _problem(response, 405)
    assert body["type"] == "about:blank"


def test_wrong_method_names_the_allowed_methods(api: Api) -> None:
    # RFC 9110 §15.5.6: a 405 response must carry an Allow header.
    response = api.client.delete("/auth/me")
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers.get("Allow", "").split(",")}
    assert "GET" in allowed


PROBLEM_REQUESTS = (
    ("GET", "/nowhere", None, {}, 404),
    ("PUT", "/auth/me", "cw.lizhuang", {}, 405),
    ("GET", "/applications", None, {}, 401),
    ("GET", "/audit/events", "cw.lizhuang", {}, 403),
    ("GET", "/applications/999999999", "cw.lizhuang", {}, 404),
    ("POST", "/applications", "cw.lizhuang", {"json": {"program": "x"}}, 422),
    ("GET", "/applications", "cw.lizhuang", {"params": {"limit": "many"}}, 422),
)


def test_every_problem_carries_its_status_and_request_id(api: Api) -> None:
    for method, path, as_, kwargs, status in PROBLEM_REQUESTS:
        response = api.client.request(method, path, headers=api.headers(as_), **kwargs)
        body = _problem(response, status)
        assert body["detail"], (method, path)
        assert body["instance"] == f"/api/v1{path}", (method, path)


def test_callers_request_id_is_echoed_in_header_and_problem(api: Api) -> None:
    rid = "client-" + uuid.uuid4().hex
    response = api.client.get("/applications", headers={"X-Request-ID": rid})
    body = _problem(response, 401)
    assert response.headers["X-Request-ID"] == rid
    assert body["request_id"] == rid

    # Without one, each request gets its own.
    first = api.client.get("/nowhere").headers["X-Request-ID"]
    second = api.client.get("/nowhere").headers["X-Request-ID"]
    assert first != second


def test_healthz_reports_ok(api: Api) -> None:
    response = api.client.get(f"{api.server.url}/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert response.headers["X-Request-ID"]


def test_oversized_json_body_is_refused_before_parsing(api: Api) -> None:
    body = b'{"program": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = api.post(
        "/applications",
        as_="cw.lizhuang",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    problem = _problem(response, 413)
    assert problem["type"] == "urn:relief:problem:payload-too-large"
    assert "exceeds" in problem["detail"]


def test_oversized_chunked_body_is_cut_off(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"program": "'
        for _ in range(40):
            yield b"x" * 64 * 1024
        yield b'"}'

    response = api.post(
        "/applications",
        as_="cw.lizhuang",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    _problem(response, 413)
    assert (
        api.get("/healthz".replace("/healthz", "/programs"), as_="cw.lizhuang").status_code == 200
    )


def test_a_nul_character_in_a_search_is_bad_input_not_an_outage(api: Api) -> None:
    """PostgreSQL refuses NUL in text (found by schemathesis on ``role``): never the 503 of a
    database that is away. A filter is a plain line (an export records it in the trail), so a
    control character is a 422 on both databases before any query."""
    for params in ({"role": "\x00"}, {"action": "a\x00b"}, {"actor": "\x00"}):
        response = api.get("/audit/events", as_="au.county", params=params)
        problem = assert_problem(response, 422, "invalid-input")
        assert problem["errors"][0]["code"] == "text-control-character"
    assert api.get("/audit/events", as_="au.county").status_code == 200  # the server is fine
