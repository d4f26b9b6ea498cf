"""Every refusal carries a stable ``code`` and the ``params`` its message needs, beside the
English ``detail``: the codes come from one registry (``service/http/codes.py``), listed in
docs/problems.md; the source raises none that is not registered."""

from __future__ import annotations

import ast
import inspect
import uuid
from pathlib import Path

import httpx

from service.errors import ReliefError
from service.http import codes
from tests.conftest import DEMO_PASSWORD, Api, MakeUser, assert_problem
from tests.factories import EC_DOCUMENTS, application, id_number

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "service"


# --- the registry and the source ---------------------------------------------------------


def _strings(node: ast.AST) -> list[str]:
    """The literal codes of an expression: a string, or either branch of ``a if c else b``
    (anything else is computed, as the edge does from pydantic's error types)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _error_classes() -> dict[str, type[ReliefError]]:
    import service.main  # noqa: F401 - every module that defines a ReliefError subclass

    found: dict[str, type[ReliefError]] = {}
    pending: list[type[ReliefError]] = [ReliefError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


class _Use:
    def __init__(self, code: str, where: str, call: str, field: bool) -> None:
        self.code, self.where, self.call, self.field = code, where, call, field


def _uses() -> list[_Use]:
    """Every code the source names: ``code=`` of a call, the first argument of a
    ``PydanticCustomError``, a ``"code"`` key of a dict literal."""
    uses = []
    for path in sorted(SERVICE.rglob("*.py")):
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                name = _name(node)
                if name == "PydanticCustomError" and node.args:
                    uses += [_Use(c, where, name, True) for c in _strings(node.args[0])]
                for keyword in node.keywords:
                    if keyword.arg == "code" and name not in _NOT_PROBLEMS:
                        field = name == "field_error"
                        uses += [_Use(c, where, name, field) for c in _strings(keyword.value)]
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "code":
                        uses += [_Use(c, where, "dict", False) for c in _strings(value)]
    return uses


# Calls that take a ``code=`` that is no problem code (a region's, a program's).
_NOT_PROBLEMS = {"Region", "get_program", "_township", "Program", "where"}


def test_every_code_the_source_raises_is_registered() -> None:
    unregistered = [
        f"{use.where}: {use.code}" for use in _uses() if not codes.known(use.code, field=use.field)
    ]
    assert not unregistered, "register these in service/http/codes.py: " + ", ".join(unregistered)


def test_every_registered_code_is_raised_or_answered_by_the_edge() -> None:
    used = {use.code for use in _uses()}
    edge = "\n".join(path.read_text() for path in (SERVICE / "http").glob("*.py"))
    unused = sorted(
        code
        for code, entry in codes.CODES.items()
        if code not in used and not (entry.kind == "edge" and f'"{code}"' in edge)
    )
    assert not unused, f"registered but never raised: {unused}"


def test_a_code_has_the_status_of_the_error_that_raises_it() -> None:
    classes = _error_classes()
    wrong = [
        f"{use.where}: {use.call}(code={use.code!r}) answers {classes[use.call].status}, "
        f"the registry says {codes.CODES[use.code].status}"
        for use in _uses()
        if use.call in classes
        and use.code in codes.CODES
        and classes[use.call].status != codes.CODES[use.code].status
    ]
    field_codes = [use for use in _uses() if use.field and use.code in codes.CODES]
    wrong += [
        f"{use.where}: field code {use.code} is not registered as 422"
        for use in field_codes
        if codes.CODES[use.code].status != 422
    ]
    assert not wrong, "\n".join(wrong)


def test_every_refusal_raised_in_the_source_names_its_code() -> None:
    """``raise Conflict("...")`` without ``code=`` would answer the bare class type: each
    refusal names its own code (a classmethod constructor such as ``InvalidFlow.of`` does)."""
    classes = _error_classes()
    missing = []
    for path in sorted(SERVICE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in classes
                and "code" in inspect.signature(classes[node.func.id]).parameters
                and node.args
                and not any(keyword.arg == "code" for keyword in node.keywords)
            ):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.func.id}(...)")
    assert not missing, "give these a code=: " + "; ".join(missing)


def test_codes_are_kebab_case_and_described() -> None:
    for name, code in codes.CODES.items():
        assert name == name.lower(), name
        assert " " not in name, name
        assert "_" not in name, name
        assert code.meaning, name
        assert 400 <= code.status < 600, name


def test_the_docs_list_the_registry() -> None:
    written = (ROOT / "docs" / "problems.md").read_text()
    assert written == codes.markdown(), (
        "docs/problems.md differs from the registry: "
        ".venv/bin/python -m service.http.codes > docs/problems.md"
    )


# --- over HTTP -----------------------------------------------------------------------------


def _error_of(body: dict, field: str) -> dict:
    found = [error for error in body["errors"] if error["field"] == field]
    assert found, body
    return found[0]


def test_a_bad_check_digit_is_a_field_error_with_its_code(api: Api) -> None:
    body = application()
    number = id_number()
    wrong = "X" if number[-1] != "X" else "0"
    body["applicant"] = {"name": "王秀英", "id_number": number[:-1] + wrong}
    problem = assert_problem(api.post("/applications", as_="cw.lizhuang", json=body), 422)
    assert problem["code"] == "invalid-input"
    assert problem["params"] == {"fields": ["applicant.id_number"]}
    error = _error_of(problem, "applicant.id_number")
    assert error["code"] == "id-check-digit"
    assert error["params"] == {}
    assert "check digit" in error["message"]


def test_pydantic_errors_keep_their_type_and_context(api: Api) -> None:
    body = application()
    del body["village"]
    body["applicant"] = {"name": "王" * 500, "id_number": id_number()}
    problem = assert_problem(api.post("/applications", as_="cw.lizhuang", json=body), 422)
    assert _error_of(problem, "village")["code"] == "missing"
    too_long = _error_of(problem, "applicant.name")
    assert too_long["code"] == "string_too_long"
    assert isinstance(too_long["params"]["max_length"], int)


def test_documents_missing_names_the_missing_kinds(api: Api) -> None:
    case_id = api.submit()["id"]
    attached = ("application_form", "id_card")
    for kind in attached:
        assert api.attach(case_id, kind).status_code == 201
    task = api.task_for(case_id, as_="cw.lizhuang")
    problem = assert_problem(
        api.decide(task["id"], "approve", as_="cw.lizhuang"), 409, "missing-documents"
    )
    assert problem["code"] == "documents-missing"
    assert sorted(problem["params"]["missing"]) == sorted(set(EC_DOCUMENTS) - set(attached))


def test_a_duplicate_household_names_the_existing_case(api: Api) -> None:
    body = application()
    case_id = api.submit(body)["id"]
    again = api.post("/applications", as_="cw.lizhuang", json=body)
    problem = assert_problem(again, 409, "duplicate-case")
    assert problem["code"] == "duplicate-case"
    assert problem["params"] == {
        "existing_application_id": case_id,
        "program": "emergency_consolation",
    }
    assert problem["existing_application_id"] == case_id  # as before


def test_a_task_of_another_role_is_a_403_with_its_code(ready_case: dict, api: Api) -> None:
    task = api.task_for(ready_case["id"], as_="cw.lizhuang")
    problem = assert_problem(api.decide(task["id"], "approve", as_="tr.dongcheng"), 403)
    assert problem["code"] in ("task-role-mismatch", "task-not-found")
    if problem["code"] == "task-role-mismatch":
        assert problem["params"]["task_id"] == task["id"]


def test_a_role_gate_refusal_names_the_roles(api: Api) -> None:
    problem = assert_problem(
        api.post("/applications", as_="au.county", json=application()), 403, "forbidden"
    )
    assert problem["code"] == "case-role-required"
    assert problem["params"] == {"roles": ["caseworker"]}


def test_an_unknown_task_is_404_with_its_id(api: Api) -> None:
    response = api.post("/tasks/999999999/claim", as_="cw.lizhuang")
    problem = assert_problem(response, 404, "not-found")
    assert problem["code"] == "task-not-found"
    assert problem["params"] == {"task_id": 999999999}


def test_routing_errors_have_edge_codes(api: Api) -> None:
    unknown = api.get("/no-such-thing", as_="cw.lizhuang")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not-found"
    assert unknown.json()["params"] == {}

    token = api.server.token("cw.lizhuang")
    wrong = api.client.delete("/applications", headers={"Authorization": f"Bearer {token}"})
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method-not-allowed"
    assert wrong.json()["params"] == {"method": "DELETE"}


def test_an_oversized_body_is_413_with_the_limit(api: Api) -> None:
    body = b'{"program": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = api.post(
        "/applications",
        as_="cw.lizhuang",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    problem = response.json()
    assert response.status_code == 413
    assert problem["code"] == "body-too-large"
    assert isinstance(problem["params"]["limit"], int)
    assert str(problem["params"]["limit"]) in problem["detail"]


def _login(api: Api, username: str, password: str) -> httpx.Response:
    return api.post("/auth/token", as_=None, data={"username": username, "password": password})


def test_the_login_throttle_says_how_long_to_wait(api: Api, make_user: MakeUser) -> None:
    username = make_user(["caseworker"], "130123100201")
    for _ in range(5):
        failed = assert_problem(_login(api, username, "guess-" + uuid.uuid4().hex), 401)
        assert failed["code"] == "login-failed"
    locked = _login(api, username, DEMO_PASSWORD)
    problem = assert_problem(locked, 429, "too-many-attempts")
    assert problem["code"] == "login-throttled"
    assert problem["params"] == {"retry_after": int(locked.headers["Retry-After"])}
    assert problem["retry_after"] == problem["params"]["retry_after"]


def test_a_weak_password_lists_a_code_per_rule(api: Api, make_user: MakeUser) -> None:
    username = make_user(["caseworker"], "130123100201")
    token = _login(api, username, DEMO_PASSWORD).json()["access_token"]
    response = api.client.post(
        "/auth/password",
        headers={"Authorization": f"Bearer {token}"},
        json={"current_password": DEMO_PASSWORD, "new_password": "aaaaaaaaaaaaaaaa"},
    )
    problem = assert_problem(response, 422, "invalid-input")
    assert problem["code"] == "password-weak"
    assert "password-simple" in problem["params"]["reasons"]
    assert {error["code"] for error in problem["errors"]} == set(problem["params"]["reasons"])


def test_the_refusal_on_the_trail_records_its_code(ready_case: dict, api: Api) -> None:
    task = api.task_for(ready_case["id"], as_="cw.lizhuang")
    api.decide(task["id"], "approve", as_="cw.lizhuang")  # on to the village head
    stale = assert_problem(api.decide(task["id"], "approve", as_="cw.lizhuang"), 409)
    assert stale["code"] == "task-not-ready"
    assert stale["params"] == {"task_id": task["id"], "status": "completed"}
    refused = [e for e in api.events(ready_case["id"]) if e["action"] == "action_refused"]
    assert refused, "the refusal is on the trail"
    assert refused[-1]["after"]["code"] == "task-not-ready"
