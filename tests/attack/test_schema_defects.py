"""The defects schemathesis found, pinned one by one so they stay fixed whatever it generates."""

from __future__ import annotations

import httpx
import pytest

from tests.attack.rules import documented_operations
from tests.conftest import Api, Server, assert_problem

PROBLEM = "application/problem+json"


def test_every_documented_error_is_problem_json_with_its_schema(server: Server) -> None:
    """Errors are sent as application/problem+json only: the document says so, with the
    schema, and every operation that takes input documents its 422."""
    schema = httpx.get(f"{server.url}/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                assert set(response["content"]) == {PROBLEM}, (method, path, status)
                assert response["content"][PROBLEM]["schema"]["title"] == "Problem"
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in operation["responses"], (method, path)
    assert ("GET", "/api/v1/flows/{key}/versions/{number}") in documented_operations(server.url)


@pytest.mark.parametrize("path", ["/applications/1/withdraw", "/payouts/yearly", "/reviews/yearly"])
def test_a_body_that_is_not_utf8_is_invalid_input_not_an_undocumented_400(
    api: Api, path: str
) -> None:
    headers = {**api.headers("cw.lizhuang"), "Content-Type": "application/json"}
    response = api.client.post(path, content=b"\xff\xfe{", headers=headers)
    body = assert_problem(response, 422, "invalid-input")
    assert body["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/api/v1/flows", "GET, POST"),
        ("PUT", "/api/v1/applications/1", "GET, PATCH"),
        ("DELETE", "/api/v1/payouts/batches", "GET, POST"),
    ],
)
def test_405_names_every_method_of_the_resource(
    server: Server, method: str, path: str, allowed: str
) -> None:
    response = httpx.request(method, server.url + path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/applications", {"submitted_to": "0"}),  # was read as 1970-01-01
        ("/applications", {"submitted_from": "20260101"}),
        ("/audit/events", {"until": "0.5"}),  # was read as 1970-01-01T00:00:00.5Z
        ("/audit/events.csv", {"since": "1700000000"}),
    ],
)
def test_dates_and_times_in_queries_must_be_iso_8601_text(
    api: Api, path: str, params: dict[str, str]
) -> None:
    response = api.get(path, as_="au.county", params=params)
    problem = assert_problem(response, 422, "invalid-input")
    assert [e["field"] for e in problem["errors"]] == list(params)


def test_iso_dates_and_times_still_filter(api: Api) -> None:
    assert api.get(
        "/applications", as_="au.county", params={"submitted_to": "2999-12-31"}
    ).is_success
    since = {"since": "2000-01-01T00:00:00+08:00", "until": "2999-01-01T00:00:00Z"}
    assert api.get("/audit/events", as_="au.county", params=since).is_success
