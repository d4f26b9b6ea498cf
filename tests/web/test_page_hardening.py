"""What a security review of the console found, each kept closed: role gates that count only
the roles a user may act in, a decision form bound to its case, downloads that leave a trace
started only from the console, and typed input that cannot cost the server."""

from __future__ import annotations

import pytest

from service.money import fen_of_yuan
from service.web.login import local_path
from tests.conftest import Api, MakeUser, Server
from tests.factories import VILLAGE_LIZHUANG, application
from tests.web.pages import logged_in


def test_auditors_and_admins_withdraw_nothing_from_the_page(server: Server, api: Api) -> None:
    case_id = api.submit()["id"]
    for username in ("au.county", "admin", "ca.county", "vh.lizhuang"):
        page = logged_in(server, username)
        page.get("/")
        response = page.post(f"/applications/{case_id}/withdraw", {"reason": "不应生效"})
        assert response.status_code == 404, username
    assert api.case(case_id)["status"] == "in_progress"


def test_a_caseworker_who_is_also_an_auditor_gets_no_caseworker_page(
    server: Server, api: Api, make_user: MakeUser
) -> None:
    username = make_user(["caseworker", "auditor"], VILLAGE_LIZHUANG)
    dual = logged_in(server, username)
    assert dual.get("/applications/new").status_code == 404
    assert dual.post("/applications/new", {"program": "emergency_consolation"}).status_code == 404
    assert 'href="/applications/new"' not in dual.get("/public/notices").text  # not in the nav
    assert 'href="/audit"' in dual.get("/public/notices").text  # the auditor's page stays
    # As the API refuses it.
    assert api.post("/applications", as_=username, json=application()).status_code == 403


def test_a_decision_form_decides_only_a_task_of_its_own_case(
    server: Server, api: Api, ready_case: dict
) -> None:
    other = api.submit()["id"]
    other_task = api.task_for(other, as_="cw.lizhuang")["id"]
    page = logged_in(server, "cw.lizhuang")
    page.get(f"/applications/{ready_case['id']}")
    response = page.post(
        f"/applications/{ready_case['id']}/decision",
        {"task_id": str(other_task), "decision": "approve"},
    )
    assert response.status_code == 404
    assert api.task_for(other, as_="cw.lizhuang")["id"] == other_task  # still open


@pytest.mark.parametrize("path", ["/audit/events.csv", "/audit/events.xlsx"])
def test_an_export_started_by_another_site_is_refused_and_leaves_no_trace(
    server: Server, api: Api, path: str
) -> None:
    page = logged_in(server, "au.county")

    def exports() -> int:
        return len(
            api.get(
                "/audit/events", as_="au.county", params={"action": "audit_exported", "limit": 1000}
            ).json()["items"]
        )

    before = exports()
    refused = page.get(path, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert exports() == before
    assert page.get(path, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert exports() == before + 1


def test_amounts_are_read_exactly_and_only_as_people_type_them() -> None:
    assert fen_of_yuan("3,000.50") == 300050
    assert fen_of_yuan("¥3000") == 300000
    assert fen_of_yuan("0.01") == 1
    # Exponents, infinities, a third decimal, signs and huge numbers are not amounts: the
    # first of them would have cost the server seconds building a million-digit integer.
    for text in ("1e999990", "1e999999", "Infinity", "NaN", "0.001", "-5", "12345678901", ""):
        assert fen_of_yuan(text) is None, text


def test_after_a_form_only_paths_of_this_site() -> None:
    assert (
        local_path("/applications/3?tab=documents#documents")
        == "/applications/3?tab=documents#documents"
    )
    for target in ("//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/x", "/\u3000/x",
                   "https://evil.example", "javascript:alert(1)", "", None):  # fmt: skip
        assert local_path(target) == "/", repr(target)
