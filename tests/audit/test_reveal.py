"""A county auditor may see one case's personal numbers in full, with a reason; every reveal
is audited, nobody else may, and each auditor gets so many an hour."""

from __future__ import annotations

import random

import pytest

from tests.audit.trail import read_all
from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.factories import application, id_number
from tests.fresh_county import County, make_county, submit_ready

REASON = "核对银行代发失败的卡号 (bank says the card is wrong)"


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def phone() -> str:
    return "13" + "".join(random.choice("0123456789") for _ in range(9))


@pytest.fixture
def household(api: Api, county: County) -> tuple[int, dict]:
    """A case with a spouse and a phone number; the body as submitted."""
    body = application(applicant_id=id_number(), spouse_id=id_number())
    body["household"]["phone"] = phone()  # type: ignore[index]
    case = api.submit({**body, "village": county.village(1)}, as_=county["cw"])
    return case["id"], body


def reveal(api: Api, case_id: int, *, as_: str, reason: str = REASON):
    return api.post(f"/audit/cases/{case_id}/reveal", as_=as_, json={"reason": reason})


def test_the_county_auditor_sees_the_full_numbers_and_it_is_audited(
    api: Api, county: County, household: tuple[int, dict]
) -> None:
    case_id, body = household
    response = reveal(api, case_id, as_=county["au"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    revealed = response.json()
    assert revealed["id"] == case_id
    assert revealed["applicant_id_number"] == body["applicant"]["id_number"]
    assert revealed["spouse_id_number"] == body["spouse"]["id_number"]
    assert revealed["bank_card"] == body["household"]["bank_card"]
    assert revealed["phone"] == body["household"]["phone"]
    assert revealed["applicant_name"] == body["applicant"]["name"]

    [event] = read_all(
        api, as_=county["au"], application_id=case_id, action="personal_data_revealed"
    )
    assert (event["actor"], event["role"], event["region"]) == (
        county["au"],
        "auditor",
        county.village(1),
    )
    assert event["comment"] == REASON
    assert event["after"] == {
        "fields": ["applicant_id_number", "spouse_id_number", "bank_card", "phone"]
    }
    # The trail records that the numbers were shown, never the numbers.
    trail = api.get(f"/audit/cases/{case_id}", as_=county["au"]).text
    for number in (revealed["applicant_id_number"], revealed["bank_card"], revealed["phone"]):
        assert number not in trail
    # Everywhere else the case stays masked, and its working timeline shows no reveal.
    detail = api.case(case_id, as_=county["au"])
    assert body["applicant"]["id_number"] not in str(detail)
    assert "personal_data_revealed" not in {e["action"] for e in detail["timeline"]}


def test_numbers_typed_into_the_reason_are_masked_in_the_trail(
    api: Api, county: County, household: tuple[int, dict]
) -> None:
    case_id, body = household
    number = body["applicant"]["id_number"]
    assert reveal(api, case_id, as_=county["au"], reason=f"核对 {number}").status_code == 200
    events = read_all(api, as_=county["au"], application_id=case_id)
    assert number not in str(events)


@pytest.mark.parametrize("reason", ["", "   ", "四个字儿", " 四个字 ", "x" * 501])
def test_a_reason_of_5_to_500_characters_is_required(
    api: Api, county: County, household: tuple[int, dict], reason: str
) -> None:
    case_id, _ = household
    assert_problem(reveal(api, case_id, as_=county["au"], reason=reason), 422)
    missing = api.post(f"/audit/cases/{case_id}/reveal", as_=county["au"], json={})
    assert_problem(missing, 422)
    assert read_all(api, as_=county["au"], action="personal_data_revealed") == []


def test_nobody_but_a_county_auditor_of_the_case_may_reveal(
    api: Api, county: County, household: tuple[int, dict], make_user: MakeUser
) -> None:
    case_id, _ = household
    township_auditor = make_user(["auditor"], county.township)
    for user in (county["cw"], county["tr"], county["ca"], county["fo"], county["admin"]):
        assert_problem(reveal(api, case_id, as_=user), 403)
    assert_problem(reveal(api, case_id, as_=township_auditor), 403)
    # Another county's auditor learns nothing, not even that the case exists.
    assert_problem(reveal(api, case_id, as_="au.county"), 404, "not-found")
    assert_problem(reveal(api, 2147483647, as_=county["au"]), 404, "not-found")
    assert (
        api.post(f"/audit/cases/{case_id}/reveal", as_=None, json={"reason": REASON}).status_code
        == 401
    )
    assert read_all(api, as_=county["au"], action="personal_data_revealed") == []


def test_reveals_are_limited_per_auditor_per_hour(
    api: Api, backend: Backend, county: County, make_user: MakeUser
) -> None:
    auditor = make_user(["auditor"], county.code)
    case, _ = submit_ready(api, county)
    for _ in range(20):
        assert reveal(api, case["id"], as_=auditor).status_code == 200
    refused = reveal(api, case["id"], as_=auditor)
    body = assert_problem(refused, 429, "too-many-requests")
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 3600
    assert body["retry_after"] == wait
    revealed = read_all(api, as_=county["au"], action="personal_data_revealed", actor=auditor)
    assert len(revealed) == 20
    # The limit is the auditor's own: a colleague still may.
    assert reveal(api, case["id"], as_=county["au"]).status_code == 200
