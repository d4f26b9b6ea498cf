"""Inputs at the edges: out-of-range numbers, ambiguous times, roles that must not act,
papers changed after signing, personal numbers typed into free text, forged request ids."""

from __future__ import annotations

import pytest
from jose import jwt

from tests.conftest import Api, MakeUser, Server, assert_problem
from tests.factories import EC_DOCUMENTS, application, bank_card, id_number

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/applications/{HUGE}",
        f"/applications?cursor={HUGE}",
        f"/tasks?application_id={HUGE}",
        f"/audit/events?application_id={HUGE}",
        "/applications?submitted_from=0001-01-01",
        "/audit/events?since=2026-01-01T00:00:00",  # no zone: ambiguous, refused
    ],
)
def test_out_of_range_or_ambiguous_parameters_are_422(api: Api, path: str) -> None:
    assert_problem(api.get(path, as_="au.county"), 422, "invalid-input")


def test_out_of_range_task_id_is_422_not_a_server_error(api: Api) -> None:
    response = api.post(f"/tasks/{HUGE}/claim", as_="tr.dongcheng")
    assert_problem(response, 422, "invalid-input")


def test_zoned_time_filters_work(api: Api) -> None:
    response = api.get(
        "/audit/events", as_="au.county", params={"since": "2000-01-01T00:00:00+08:00"}
    )
    assert response.status_code == 200


def test_token_with_an_out_of_range_subject_is_401(api: Api, server: Server) -> None:
    secret = server.backend.env["RELIEF_SECRET_KEY"]
    token = jwt.encode({"sub": "9" * 30, "exp": 4102444800}, secret, algorithm="HS256")
    response = api.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "not-authenticated")


@pytest.mark.parametrize("roles", [["auditor", "caseworker"], ["admin", "caseworker"]])
def test_supervisors_holding_a_caseworker_role_still_act_on_no_case(
    api: Api, make_user: MakeUser, roles: list[str]
) -> None:
    user = make_user(roles, "130123100201")
    assert_problem(api.post("/applications", as_=user, json=application()), 403, "forbidden")
    case_id = api.submit()["id"]
    response = api.attach(case_id, "hukou", as_=user)
    assert_problem(response, 403, "forbidden")


def test_papers_cannot_change_after_the_village_signed(api: Api, ready_case: dict) -> None:
    case_id = ready_case["id"]
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")
    assert_problem(api.attach(case_id, "hukou"), 409, "conflict")
    # Returned to the caseworker, the file may be corrected again.
    api.act(case_id, "return", as_="tr.dongcheng", comment="补充户口簿")
    assert api.attach(case_id, "hukou").status_code == 201
    assert len(api.case(case_id)["documents"]) == len(EC_DOCUMENTS) + 1


def test_personal_numbers_typed_into_free_text_are_masked(api: Api, ready_case: dict) -> None:
    child_id, card = id_number(), bank_card()
    body = application()
    body["child"] = {"name": "王小明", "id_number": child_id, "note": f"旧卡 {card}"}
    case_id = api.submit(body)["id"]
    api.attach_required(case_id)
    api.act(case_id, "return", as_="cw.lizhuang", comment=f"请核对孩子身份证 {child_id}")

    detail = api.get(f"/applications/{case_id}", as_="tr.dongcheng")
    events = api.get("/audit/events", as_="au.county", params={"application_id": case_id})
    for text in (detail.text, events.text):
        assert child_id not in text
        assert card not in text
    child = detail.json()["details"]["child"]
    assert child["id_number"] == child_id[:4] + "*" * 10 + child_id[-4:]
    assert child["name"] == "王小明"


def test_a_request_id_that_is_not_a_plain_token_is_replaced(api: Api) -> None:
    forged = 'x" {"actor": "admin"}'
    response = api.client.get("/programs", headers={"X-Request-ID": forged})
    assert response.headers["X-Request-ID"] != forged
    kept = api.client.get("/programs", headers={"X-Request-ID": "trace-42.a_b"})
    assert kept.headers["X-Request-ID"] == "trace-42.a_b"
