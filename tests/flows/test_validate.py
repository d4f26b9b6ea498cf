"""POST /api/v1/flows/validate: a flow checked as an upload would be, nothing stored (issue 21
§3, the flow editor's live validation), over HTTP on SQLite and PostgreSQL.

The answer is 200 with ``valid`` and every problem ({element, file, reason, code, params}) for
a flow the upload would refuse element by element; a body that is no flow at all (not XML, a
DTD) is refused as an upload is (422), a file over the flow limit is 413, and only
administrators may ask.
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Api, assert_problem
from tests.flows import lost_decisions, variants
from tests.flows.helpers import MODELER_BPMN, MODELER_DMN, SHIPPED, flows, read

VALIDATE = "/flows/validate"
PROBLEM_KEYS = {"element", "file", "reason", "code", "params"}


def check(api: Api, bpmn: tuple[str, bytes], dmns: tuple[tuple[str, bytes], ...] = ()) -> dict:
    files = [("bpmn", (bpmn[0], bpmn[1], "application/xml"))]
    files += [("dmn", (name, content, "application/xml")) for name, content in dmns]
    response = api.post(VALIDATE, as_="admin", files=files)
    assert response.status_code == 200, response.text
    return response.json()


def unrouted(key: str) -> bytes:
    """A new task whose reject and return reach no gateway (tests/flows/lost_decisions.py)."""
    return lost_decisions.lost(key).encode()


def test_a_valid_flow_is_valid_and_nothing_is_stored(api: Api) -> None:
    before = flows(api)
    assert check(api, read(SHIPPED)) == {"valid": True, "problems": []}
    key = f"check_{uuid.uuid4().hex[:8]}"
    text = variants.under_key(variants.shipped(), key).encode()
    assert check(api, (f"{key}.bpmn", text)) == {"valid": True, "problems": []}
    assert flows(api) == before


def test_the_bpmn_may_be_the_raw_body(api: Api) -> None:
    response = api.post(
        VALIDATE,
        as_="admin",
        content=SHIPPED.read_bytes(),
        headers={"content-type": "application/xml"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"valid": True, "problems": []}


def test_a_flow_an_upload_would_refuse_lists_every_problem_and_stores_nothing(api: Api) -> None:
    key = f"check_{uuid.uuid4().hex[:8]}"
    before = flows(api)
    answer = check(api, (f"{key}.bpmn", unrouted(key)))
    assert answer["valid"] is False
    assert answer["problems"], answer
    for problem in answer["problems"]:
        assert set(problem) >= PROBLEM_KEYS, problem
        assert problem["code"], problem
        assert problem["file"] == f"{key}.bpmn"
    elements = {problem["element"] for problem in answer["problems"]}
    assert lost_decisions.TASK in elements, answer  # the task whose decisions are lost, by id
    # The same file uploaded is refused with the same problems.
    files = [("bpmn", (f"{key}.bpmn", unrouted(key), "application/xml"))]
    refused = assert_problem(api.post("/flows", as_="admin", files=files), 422, "invalid-flow")
    assert {e["element"] for e in refused["errors"]} == elements
    assert flows(api) == before
    # Declaring only the decision it routes fixes it.
    fixed = lost_decisions.lost(key, approve_only=True).encode()
    assert check(api, (f"{key}.bpmn", fixed)) == {"valid": True, "problems": []}


def test_dmn_files_travel_with_the_bpmn(api: Api) -> None:
    """The modeler's flow calls a DMN decision: with its file it is valid, without it not."""
    assert check(api, read(MODELER_BPMN), (read(MODELER_DMN),))["valid"] is True
    alone = check(api, read(MODELER_BPMN))
    assert alone["valid"] is False
    assert any(problem["element"] == "determine_priority" for problem in alone["problems"])


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"hello, not a flow", "application/xml"),
        (b'{"bpmn": "<xml/>"}', "application/json"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "application/xml"),
    ],
    ids=["text", "json", "dtd"],
)
def test_a_body_that_is_no_flow_is_422(api: Api, content: bytes, content_type: str) -> None:
    response = api.post(
        VALIDATE, as_="admin", content=content, headers={"content-type": content_type}
    )
    assert_problem(response, 422, "invalid-flow")


def test_an_empty_body_and_two_bpmn_files_are_422(api: Api) -> None:
    empty = api.post(VALIDATE, as_="admin", content=b"", headers={"content-type": "text/xml"})
    assert_problem(empty, 422)
    assert empty.json()["code"] == "file-empty"
    two = [("bpmn", ("a.bpmn", SHIPPED.read_bytes())), ("bpmn", ("b.bpmn", SHIPPED.read_bytes()))]
    response = api.post(VALIDATE, as_="admin", files=two)
    assert_problem(response, 422)
    assert response.json()["code"] == "flow-bpmn-count"


def test_a_file_over_the_flow_limit_is_413(api: Api) -> None:
    limit = 2 * 1024 * 1024  # RELIEF_MAX_FLOW_BYTES of the test servers (the default)
    text = SHIPPED.read_bytes()
    padded = text.replace(b"</bpmn:definitions>", b"<!--" + b"x" * (limit - len(text)) + b"-->")
    padded += b"\n" * (limit + 1 - len(padded))
    assert len(padded) == limit + 1
    raw = api.post(
        VALIDATE, as_="admin", content=padded, headers={"content-type": "application/xml"}
    )
    problem = assert_problem(raw, 413, "payload-too-large")
    assert problem["code"] == "file-too-large"
    form = api.post(VALIDATE, as_="admin", files=[("bpmn", ("big.bpmn", padded))])
    assert_problem(form, 413, "payload-too-large")
    # Far past it: the body limit refuses before anything reads it.
    huge = api.post(
        VALIDATE,
        as_="admin",
        content=b"x" * (limit * 2),
        headers={"content-type": "application/xml"},
    )
    assert_problem(huge, 413)


@pytest.mark.parametrize(
    "username",
    ["cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county", "fo.county", "au.county"],
)
def test_only_administrators_may_check_a_flow(api: Api, username: str) -> None:
    files = [("bpmn", ("flow.bpmn", SHIPPED.read_bytes()))]
    assert_problem(api.post(VALIDATE, as_=username, files=files), 403)


def test_a_check_needs_a_login(api: Api) -> None:
    files = [("bpmn", ("flow.bpmn", SHIPPED.read_bytes()))]
    assert_problem(api.post(VALIDATE, as_=None, files=files), 401)
