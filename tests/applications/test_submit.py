"""Submitting cases and reading them back, over real HTTP as the demo users.

Covers the checks a caseworker meets at the counter (resident ID and bank card validation,
event rules of the program, jurisdiction), the once-per-household rule (also under a race),
idempotent retries, masking of personal numbers, and jurisdiction-scoped listing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from stdnum.cn import ric

from tests.conftest import Api, Backend, assert_problem
from tests.factories import (
    VILLAGE_HEKOU,
    VILLAGE_LIZHUANG,
    VILLAGE_WANGZHUANG,
    application,
    bank_card,
    id_number,
)

MASKED = re.compile(r"^(\d{4})(\*+)([\dX]{4})$")


# --- helpers -------------------------------------------------------------------------------


def office_today() -> date:
    """Today where the offices are: the service judges event dates in China Standard Time."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def count(backend: Backend, sql: str, **params: object) -> int:
    with backend.engine.connect() as connection:
        return int(connection.execute(sa.text(sql), params).scalar_one())


def applications_total(backend: Backend) -> int:
    return count(backend, "SELECT count(*) FROM application")


def cases_of(backend: Backend, number: str) -> int:
    return count(
        backend, "SELECT count(*) FROM application WHERE applicant_id_number = :n", n=number
    )


def error_fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def assert_masked(masked: str, raw: str) -> None:
    match = MASKED.match(masked)
    assert match, f"{masked!r} is not masked as first 4 + stars + last 4"
    assert match.group(1) == raw[:4]
    assert match.group(3) == raw[-4:]
    assert len(masked) == len(raw)


def with_birth(birth: str) -> str:
    """An ID number whose check digit is right but whose birth date field is ``birth``."""
    body = f"130123{birth}123"
    return body + ric.calc_check_digit(body + "0")


def wrong_check_digit(number: str) -> str:
    digits = "0123456789X"
    return number[:17] + digits[(digits.index(number[17]) + 1) % len(digits)]


def failing_luhn(card: str) -> str:
    return card[:-1] + str((int(card[-1]) + 1) % 10)


def set_path(body: dict, path: str, value: object) -> dict:
    *parents, leaf = path.split(".")
    node = body
    for part in parents:
        node = node[part]
    node[leaf] = value
    return body


def in_list(api: Api, *, as_: str, **params: object) -> list[dict]:
    response = api.get("/applications", as_=as_, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- accepted submissions ------------------------------------------------------------------


def test_submission_opens_case_at_village_investigation(api: Api) -> None:
    body = application()
    response = api.post("/applications", as_="cw.lizhuang", json=body)
    assert response.status_code == 201, response.text
    case = response.json()
    assert isinstance(case["id"], int)
    assert case["status"] == "in_progress"
    assert case["program"] == "emergency_consolation"
    assert case["village"] == VILLAGE_LIZHUANG
    assert case["submitted_by"] == "cw.lizhuang"
    assert case["event"] == body["event"]
    assert case["applicant"]["name"] == "王秀英"
    (task,) = case["tasks"]
    assert task["role"] == "caseworker"
    assert task["name"].startswith("村调查")
    assert task["application_id"] == case["id"]
    # The caseworker finds the same task in their inbox.
    assert api.task_for(case["id"], as_="cw.lizhuang")["id"] == task["id"]


def test_submission_is_recorded_in_the_audit_trail(api: Api) -> None:
    case = api.submit()
    events = api.events(case["id"])
    assert [e["action"] for e in events][:1] == ["application_submitted"]
    assert events[0]["actor"] == "cw.lizhuang"


def test_extra_fields_are_kept_as_details(api: Api) -> None:
    body = application()
    body["phone"] = "13800000000"
    case = api.submit(body)
    # Kept, and like every personal number in details shown masked (mobile numbers too).
    assert case["details"]["phone"] == "138****0000"
    assert case["details"]["household"]["address"] == "李庄村三组"
    assert api.case(case["id"])["details"]["phone"] == "138****0000"


def test_submit_response_masks_resident_ids_and_bank_card(api: Api) -> None:
    applicant, spouse = id_number(), id_number()
    body = application(applicant_id=applicant, spouse_id=spouse)
    card = body["household"]["bank_card"]  # type: ignore[index]
    response = api.post("/applications", as_="cw.lizhuang", json=body)
    assert response.status_code == 201, response.text
    for raw in (applicant, spouse, card):
        assert raw not in response.text
    case = response.json()
    assert_masked(case["applicant"]["id_number"], applicant)
    assert_masked(case["spouse"]["id_number"], spouse)
    assert_masked(case["household"]["bank_card"], card)


@pytest.mark.parametrize("reader", ["cw.lizhuang", "ca.county", "au.county"])
def test_case_detail_masks_resident_ids_and_bank_card(api: Api, reader: str) -> None:
    applicant, spouse = id_number(), id_number()
    body = application(applicant_id=applicant, spouse_id=spouse)
    card = body["household"]["bank_card"]  # type: ignore[index]
    case_id = api.submit(body)["id"]
    response = api.get(f"/applications/{case_id}", as_=reader)
    assert response.status_code == 200, response.text
    for raw in (applicant, spouse, card):
        assert raw not in response.text
    detail = response.json()
    assert detail["id"] == case_id
    assert_masked(detail["applicant"]["id_number"], applicant)
    assert_masked(detail["spouse"]["id_number"], spouse)
    assert_masked(detail["household"]["bank_card"], card)


def test_case_list_masks_resident_ids_and_bank_card(api: Api) -> None:
    applicant, spouse = id_number(), id_number()
    body = application(applicant_id=applicant, spouse_id=spouse)
    card = body["household"]["bank_card"]  # type: ignore[index]
    case_id = api.submit(body)["id"]
    response = api.get("/applications", as_="cw.lizhuang", params={"limit": 200})
    assert response.status_code == 200, response.text
    for raw in (applicant, spouse, card):
        assert raw not in response.text
    (listed,) = [item for item in response.json()["items"] if item["id"] == case_id]
    assert_masked(listed["applicant"]["id_number"], applicant)
    assert_masked(listed["spouse"]["id_number"], spouse)
    assert_masked(listed["household"]["bank_card"], card)


def test_id_number_with_lowercase_x_is_accepted_and_normalised(api: Api) -> None:
    # About one resident in eleven has the check character X; clerks often type it lowercase.
    while not (number := id_number()).endswith("X"):
        pass
    case = api.submit(application(applicant_id=number.lower()))
    assert case["applicant"]["id_number"].endswith(number[-4:])
    # The same person typed in upper case is recognised as the same household.
    response = api.post("/applications", as_="cw.lizhuang", json=application(applicant_id=number))
    assert_problem(response, 409, "duplicate-case")


# --- refused: invalid input ----------------------------------------------------------------


def _previous_year() -> str:
    return date(office_today().year - 1, 7, 1).isoformat()


def _future() -> str:
    return (office_today() + timedelta(days=2)).isoformat()


INVALID: dict[str, tuple[Callable[[dict], dict], str]] = {
    "id-check-digit": (
        lambda b: set_path(b, "applicant.id_number", wrong_check_digit(id_number())),
        "applicant.id_number",
    ),
    "id-17-digits": (
        lambda b: set_path(b, "applicant.id_number", id_number()[:17]),
        "applicant.id_number",
    ),
    "id-birth-month-13": (
        lambda b: set_path(b, "applicant.id_number", with_birth("19801301")),
        "applicant.id_number",
    ),
    "id-birth-feb-30": (
        lambda b: set_path(b, "applicant.id_number", with_birth("19850230")),
        "applicant.id_number",
    ),
    "card-luhn": (
        lambda b: set_path(b, "household.bank_card", failing_luhn(bank_card())),
        "household.bank_card",
    ),
    "spouse-id-check-digit": (
        lambda b: {**b, "spouse": {"name": "李建国", "id_number": wrong_check_digit(id_number())}},
        "spouse.id_number",
    ),
    "event-in-future": (lambda b: set_path(b, "event.date", _future()), "event.date"),
    "event-kind-not-covered": (lambda b: set_path(b, "event.kind", "disaster"), "event.kind"),
    "event-kind-other-program": (
        lambda b: set_path(b, "event.kind", "child_disability"),
        "event.kind",
    ),
    "event-kind-unknown": (lambda b: set_path(b, "event.kind", "flood"), "event.kind"),
    "unknown-program": (lambda b: set_path(b, "program", "free_money"), "program"),
    "village-malformed": (lambda b: set_path(b, "village", "13012310020A"), "village"),
    "village-too-short": (lambda b: set_path(b, "village", "130123100"), "village"),
    "village-unknown": (lambda b: set_path(b, "village", "130123100299"), "village"),
}


@pytest.mark.parametrize("case", list(INVALID), ids=list(INVALID))
def test_invalid_submission_names_the_field_and_stores_nothing(
    api: Api, backend: Backend, case: str
) -> None:
    mutate, field = INVALID[case]
    body = mutate(application())
    before = applications_total(backend)
    response = api.post("/applications", as_="cw.lizhuang", json=body)
    problem = assert_problem(response, 422, "invalid-input")
    assert field in error_fields(response), problem
    assert applications_total(backend) == before


def test_invalid_submission_reports_every_bad_field_at_once(api: Api, backend: Backend) -> None:
    body = application()
    set_path(body, "applicant.id_number", wrong_check_digit(id_number()))
    set_path(body, "household.bank_card", failing_luhn(bank_card()))
    before = applications_total(backend)
    response = api.post("/applications", as_="cw.lizhuang", json=body)
    assert_problem(response, 422, "invalid-input")
    assert {"applicant.id_number", "household.bank_card"} <= set(error_fields(response))
    assert applications_total(backend) == before


def test_refused_submission_does_not_claim_the_household(api: Api) -> None:
    number = id_number()
    bad = set_path(application(applicant_id=number), "event.date", _future())
    assert_problem(api.post("/applications", as_="cw.lizhuang", json=bad), 422, "invalid-input")
    # The refused attempt left nothing behind: the household can still apply.
    assert api.submit(application(applicant_id=number))["status"] == "in_progress"


# --- refused: who may submit ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "village"),
    [
        ("cw.lizhuang", VILLAGE_HEKOU),
        ("cw.lizhuang", VILLAGE_WANGZHUANG),
        ("cw.hekou", VILLAGE_LIZHUANG),
    ],
)
def test_caseworker_cannot_submit_outside_jurisdiction(
    api: Api, backend: Backend, user: str, village: str
) -> None:
    body = application(village=village)
    before = applications_total(backend)
    assert_problem(api.post("/applications", as_=user, json=body), 403, "forbidden")
    assert applications_total(backend) == before


@pytest.mark.parametrize("user", ["vh.lizhuang", "tr.dongcheng", "ca.county", "au.county", "admin"])
def test_only_caseworkers_submit(api: Api, backend: Backend, user: str) -> None:
    before = applications_total(backend)
    assert_problem(api.post("/applications", as_=user, json=application()), 403, "forbidden")
    assert applications_total(backend) == before


def test_submission_requires_a_token(api: Api, backend: Backend) -> None:
    before = applications_total(backend)
    response = api.post("/applications", as_=None, json=application())
    assert_problem(response, 401, "not-authenticated")
    assert applications_total(backend) == before


# --- once per household --------------------------------------------------------------------


def test_second_case_for_same_applicant_is_refused_naming_the_first(
    api: Api, backend: Backend
) -> None:
    number = id_number()
    first = api.submit(application(applicant_id=number))["id"]
    before = applications_total(backend)
    response = api.post("/applications", as_="cw.lizhuang", json=application(applicant_id=number))
    problem = assert_problem(response, 409, "duplicate-case")
    assert str(first) in problem["detail"]
    assert problem["existing_application_id"] == first
    assert applications_total(backend) == before
    assert cases_of(backend, number) == 1


def test_second_case_with_first_spouse_as_applicant_is_refused(api: Api, backend: Backend) -> None:
    spouse = id_number()
    first = api.submit(application(spouse_id=spouse))["id"]
    before = applications_total(backend)
    response = api.post("/applications", as_="cw.lizhuang", json=application(applicant_id=spouse))
    problem = assert_problem(response, 409, "duplicate-case")
    assert str(first) in problem["detail"]
    assert problem["existing_application_id"] == first
    assert applications_total(backend) == before


def test_second_case_with_first_applicant_as_spouse_is_refused(api: Api, backend: Backend) -> None:
    applicant = id_number()
    first = api.submit(application(applicant_id=applicant))["id"]
    before = applications_total(backend)
    body = application(spouse_id=applicant)
    response = api.post("/applications", as_="cw.lizhuang", json=body)
    problem = assert_problem(response, 409, "duplicate-case")
    assert problem["existing_application_id"] == first
    assert applications_total(backend) == before


def test_second_case_paid_to_the_same_bank_card_is_refused(api: Api, backend: Backend) -> None:
    # Mother and father each applying for the same household: the card gives them away.
    first_body = application()
    first = api.submit(first_body)["id"]
    second_body = application()
    second_body["household"] = dict(first_body["household"])  # type: ignore[call-overload]
    response = api.post("/applications", as_="cw.lizhuang", json=second_body)
    problem = assert_problem(response, 409, "duplicate-case")
    assert problem["existing_application_id"] == first


def test_duplicate_in_another_jurisdiction_is_refused_without_naming_the_case(
    api: Api, backend: Backend
) -> None:
    number = id_number()
    first = api.submit(application(applicant_id=number))["id"]  # 李庄村, 东城镇
    body = application(village=VILLAGE_HEKOU, applicant_id=number)  # 河口村, 西河乡
    before = applications_total(backend)
    problem = assert_problem(
        api.post("/applications", as_="cw.hekou", json=body), 409, "duplicate-case"
    )
    # cw.hekou may not learn which case, or where: the applicant's case is not theirs to see.
    assert "existing_application_id" not in problem
    assert str(first) not in problem["detail"]
    assert applications_total(backend) == before


def test_household_may_apply_again_after_its_case_is_rejected(api: Api, backend: Backend) -> None:
    applicant, spouse = id_number(), id_number()
    body = application(applicant_id=applicant, spouse_id=spouse)
    first = api.submit(body)["id"]
    api.attach_required(first, spouse=True)
    api.act(first, "approve", as_="cw.lizhuang")
    assert api.act(first, "reject", as_="vh.lizhuang", comment="不符合条件")["status"] == "rejected"

    again = api.post(
        "/applications",
        as_="cw.lizhuang",
        json=application(applicant_id=applicant, spouse_id=spouse),
    )
    assert again.status_code == 201, again.text
    second = again.json()["id"]
    assert second != first
    assert again.json()["status"] == "in_progress"
    # The new case holds the household now: a further attempt names it, not the rejected one.
    third = api.post("/applications", as_="cw.lizhuang", json=application(applicant_id=spouse))
    assert assert_problem(third, 409, "duplicate-case")["existing_application_id"] == second
    assert cases_of(backend, applicant) == 2


def test_concurrent_submissions_of_one_household_create_exactly_one_case(
    api: Api, backend: Backend
) -> None:
    number = id_number()
    headers = api.headers("cw.lizhuang")
    url = f"{api.server.url}/api/v1/applications"
    bodies = [application(applicant_id=number) for _ in range(8)]

    def send(body: dict) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            return client.post(url, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, bodies))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    (winner,) = [r.json()["id"] for r in responses if r.status_code == 201]
    for response in responses:
        if response.status_code == 409:
            problem = assert_problem(response, 409, "duplicate-case")
            assert problem["existing_application_id"] == winner
    assert cases_of(backend, number) == 1


# --- idempotent retries --------------------------------------------------------------------


def test_retry_with_same_idempotency_key_returns_the_same_case(api: Api, backend: Backend) -> None:
    key = f"retry-{id_number()}"
    body = application()
    number = body["applicant"]["id_number"]  # type: ignore[index]
    first = api.post(
        "/applications", as_="cw.lizhuang", json=body, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201, first.text
    again = api.post(
        "/applications", as_="cw.lizhuang", json=body, headers={"Idempotency-Key": key}
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "in_progress"
    assert cases_of(backend, number) == 1
    assert count(backend, "SELECT count(*) FROM application WHERE idempotency_key = :k", k=key) == 1
    submitted = [
        e for e in api.events(first.json()["id"]) if e["action"] == "application_submitted"
    ]
    assert len(submitted) == 1


def test_idempotency_key_is_per_user(api: Api, backend: Backend) -> None:
    key = f"shared-{id_number()}"
    mine = api.post(
        "/applications", as_="cw.lizhuang", json=application(), headers={"Idempotency-Key": key}
    )
    assert mine.status_code == 201, mine.text
    theirs = api.post(
        "/applications",
        as_="cw.wangzhuang",
        json=application(village=VILLAGE_WANGZHUANG),
        headers={"Idempotency-Key": key},
    )
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != mine.json()["id"]
    assert theirs.json()["village"] == VILLAGE_WANGZHUANG


# --- listing and visibility ----------------------------------------------------------------


def test_list_is_paginated_newest_first_with_cursor(api: Api) -> None:
    ids = [
        api.submit(application(village=VILLAGE_WANGZHUANG), as_="cw.wangzhuang")["id"]
        for _ in range(3)
    ]
    page1 = api.get("/applications", as_="cw.wangzhuang", params={"limit": 2})
    assert page1.status_code == 200, page1.text
    first = page1.json()
    assert [item["id"] for item in first["items"]] == [ids[2], ids[1]]
    assert first["next_cursor"] is not None
    page2 = api.get(
        "/applications", as_="cw.wangzhuang", params={"limit": 2, "cursor": first["next_cursor"]}
    )
    assert page2.status_code == 200, page2.text
    second = [item["id"] for item in page2.json()["items"]]
    assert second[0] == ids[0]
    assert not set(second) & {ids[1], ids[2]}


def test_walking_all_pages_visits_every_visible_case_once(api: Api) -> None:
    api.submit(application(village=VILLAGE_WANGZHUANG), as_="cw.wangzhuang")
    everything = [item["id"] for item in in_list(api, as_="cw.wangzhuang")]
    assert len(everything) < 200
    walked: list[int] = []
    params: dict[str, object] = {"limit": 2}
    for _ in range(200):
        response = api.get("/applications", as_="cw.wangzhuang", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        walked += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    else:
        pytest.fail("pagination never ended")
    assert walked == everything
    assert len(set(walked)) == len(walked)


def test_list_filters_by_status(api: Api) -> None:
    rejected = api.submit()["id"]
    api.act(rejected, "reject", as_="cw.lizhuang", comment="材料不实")
    open_case = api.submit()["id"]

    only_rejected = in_list(api, as_="cw.lizhuang", status="rejected")
    assert rejected in [item["id"] for item in only_rejected]
    assert open_case not in [item["id"] for item in only_rejected]
    assert {item["status"] for item in only_rejected} == {"rejected"}

    only_open = in_list(api, as_="cw.lizhuang", status="in_progress")
    assert open_case in [item["id"] for item in only_open]
    assert rejected not in [item["id"] for item in only_open]
    assert {item["status"] for item in only_open} == {"in_progress"}


def test_list_filters_by_program(api: Api) -> None:
    case_id = api.submit()["id"]
    listed = in_list(api, as_="cw.lizhuang", program="emergency_consolation")
    assert case_id in [item["id"] for item in listed]
    assert {item["program"] for item in listed} == {"emergency_consolation"}
    other = in_list(api, as_="cw.lizhuang", program="special_assistance")
    assert case_id not in [item["id"] for item in other]
    assert all(item["program"] == "special_assistance" for item in other)


def test_list_filters_by_region(api: Api) -> None:
    lizhuang = api.submit()["id"]
    wangzhuang = api.submit(application(village=VILLAGE_WANGZHUANG), as_="cw.wangzhuang")["id"]
    listed = in_list(api, as_="tr.dongcheng", region=VILLAGE_WANGZHUANG)
    ids = [item["id"] for item in listed]
    assert wangzhuang in ids
    assert lizhuang not in ids
    assert {item["village"] for item in listed} == {VILLAGE_WANGZHUANG}


@pytest.mark.parametrize("reader", ["tr.dongcheng", "ca.county", "au.county", "cw.lizhuang"])
def test_case_is_visible_within_jurisdiction(api: Api, reader: str) -> None:
    case_id = api.submit()["id"]
    assert case_id in [item["id"] for item in in_list(api, as_=reader)]
    assert api.case(case_id, as_=reader)["id"] == case_id


@pytest.mark.parametrize("reader", ["tr.xihe", "cw.hekou", "cw.wangzhuang", "vh.hekou"])
def test_case_is_invisible_outside_jurisdiction(api: Api, reader: str) -> None:
    case_id = api.submit()["id"]
    listed = in_list(api, as_=reader)
    assert case_id not in [item["id"] for item in listed]
    assert all(item["village"] != VILLAGE_LIZHUANG for item in listed)

    hidden = api.get(f"/applications/{case_id}", as_=reader)
    absent = api.get(f"/applications/{case_id + 10_000_000}", as_=reader)
    hidden_problem = assert_problem(hidden, 404, "not-found")
    absent_problem = assert_problem(absent, 404, "not-found")
    # An outsider cannot tell a hidden case from one that does not exist.
    assert hidden_problem["title"] == absent_problem["title"]
    assert hidden_problem["detail"].replace(str(case_id), "N") == absent_problem["detail"].replace(
        str(case_id + 10_000_000), "N"
    )
    assert "李庄" not in hidden.text


def test_a_child_who_died_last_year_is_refused_with_the_rule_s_reason(
    api: Api, backend: Backend
) -> None:
    # The emergency-consolation eligibility table (workflows/*.dmn) decides, not the code.
    before = applications_total(backend)
    body = application(event_date=date.fromisoformat(_previous_year()))
    problem = assert_problem(
        api.post("/applications", as_="cw.lizhuang", json=body), 422, "ineligible"
    )
    assert "this year" in problem["reason"]
    assert problem["reason"] in problem["detail"]
    assert applications_total(backend) == before


def test_a_case_needing_judgement_goes_on_with_the_reason_shown(api: Api) -> None:
    body = application()
    body["household"]["certificate_holder"] = False  # type: ignore[index]
    case = api.submit(body)
    assert case["eligibility"]["eligibility"] == "review"
    assert case["eligibility"]["reason"]
    holder = application()
    holder["household"]["certificate_holder"] = True  # type: ignore[index]
    assert api.submit(holder)["eligibility"]["eligibility"] == "eligible"


def test_only_a_parent_of_the_child_may_apply(api: Api, backend: Backend) -> None:
    before = applications_total(backend)
    body = application()
    body["relation"] = "guardian"
    problem = assert_problem(
        api.post("/applications", as_="cw.lizhuang", json=body), 422, "ineligible"
    )
    assert "parents" in problem["reason"]
    assert applications_total(backend) == before
    body["relation"] = "mother"
    assert api.submit(body)["relation"] == "mother"
