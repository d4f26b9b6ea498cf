"""特困救助 is once per household and hardship event; 紧急慰藉 stays once ever per household.

Seed 001 line 251: "给予每户一次性5000元的特殊救助金" for a hardship event (意外死亡、伤残或大病、
大灾): a household hit by a second, different event later is a new case (issue 22). The same
event again is a duplicate; another event within the catalogue's minimum interval (12 months)
of a case the household still holds is refused, naming that case and the date from which an
event counts again. Over real HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa

from tests.conftest import Api, Backend, assert_problem
from tests.factories import VILLAGE_HEKOU, application, id_number


def office_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def plus_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


def hardship(applicant: str, kind: str, on: date, **fields: object) -> dict:
    body = application(program="hardship_relief", kind=kind, applicant_id=applicant, event_date=on)
    body.update(fields)
    return body


def cases_of(backend: Backend, number: str, program: str = "hardship_relief") -> int:
    with backend.engine.connect() as connection:
        return int(
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM application WHERE program_code = :p"
                    " AND (applicant_id_number = :n OR spouse_id_number = :n)"
                ),
                {"n": number, "p": program},
            ).scalar_one()
        )


def test_a_second_different_event_in_a_later_year_is_a_new_case(api: Api) -> None:
    household = id_number()
    today = office_today()
    first = api.submit(hardship(household, "serious_illness", today - timedelta(days=400)))
    second = api.submit(hardship(household, "disaster", today))
    assert second["id"] != first["id"]
    assert second["status"] == "in_progress"


def test_the_same_event_again_is_refused_naming_the_case(api: Api, backend: Backend) -> None:
    applicant, spouse = id_number(), id_number()
    on = office_today() - timedelta(days=30)
    first = api.submit(hardship(applicant, "accidental_death", on) | {"spouse": _person(spouse)})
    # The same household (the spouse applies now, another card) and the same event.
    again = hardship(spouse, "accidental_death", on)
    problem = assert_problem(api.post("/applications", as_="cw.lizhuang", json=again), 409)
    assert problem["code"] == "duplicate-case"
    assert problem["existing_application_id"] == first["id"]
    assert cases_of(backend, applicant) == 1


def test_another_event_within_the_interval_is_refused_with_the_date_it_becomes_possible(
    api: Api, backend: Backend
) -> None:
    household = id_number()
    today = office_today()
    earlier = today - timedelta(days=100)
    first = api.submit(hardship(household, "serious_illness", earlier))
    response = api.post(
        "/applications", as_="cw.lizhuang", json=hardship(household, "disaster", today)
    )
    problem = assert_problem(response, 409, "household-event-too-soon")
    assert problem["code"] == "household-event-too-soon"
    assert problem["params"] == {
        "program": "hardship_relief",
        "existing_application_id": first["id"],
        "existing_event_date": earlier.isoformat(),
        "min_interval_months": 12,
        "possible_from": plus_months(earlier, 12).isoformat(),
    }
    assert cases_of(backend, household) == 1
    # Another township's caseworker is told the date, not the case or where it is.
    elsewhere = api.post(
        "/applications",
        as_="cw.hekou",
        json=hardship(household, "disaster", today) | {"village": VILLAGE_HEKOU},
    )
    hidden = assert_problem(elsewhere, 409, "household-event-too-soon")
    assert hidden["code"] == "household-event-too-soon-elsewhere"
    assert "existing_application_id" not in hidden["params"]
    assert str(first["id"]) not in hidden["detail"]
    assert hidden["params"]["possible_from"] == plus_months(earlier, 12).isoformat()


def test_an_event_before_the_earlier_case_s_within_the_interval_is_refused_too(
    api: Api,
) -> None:
    household = id_number()
    today = office_today()
    api.submit(hardship(household, "serious_illness", today - timedelta(days=10)))
    late_filing = hardship(household, "accident_injury", today - timedelta(days=200))
    assert_problem(
        api.post("/applications", as_="cw.lizhuang", json=late_filing),
        409,
        "household-event-too-soon",
    )


def test_a_withdrawn_case_no_longer_counts_for_the_interval(api: Api) -> None:
    household = id_number()
    today = office_today()
    first = api.submit(hardship(household, "serious_illness", today - timedelta(days=60)))
    withdrawn = api.post(
        f"/applications/{first['id']}/withdraw",
        as_="cw.lizhuang",
        json={"reason": "户主自愿撤回"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    api.submit(hardship(household, "disaster", today))


def test_a_correction_into_the_interval_is_refused(api: Api) -> None:
    household = id_number()
    today = office_today()
    api.submit(hardship(household, "serious_illness", today - timedelta(days=400)))
    second = api.submit(hardship(household, "disaster", today))
    response = api.patch(
        f"/applications/{second['id']}",
        as_="cw.lizhuang",
        json={"event": {"kind": "disaster", "date": (today - timedelta(days=300)).isoformat()}},
    )
    assert_problem(response, 409, "household-event-too-soon")
    assert api.case(second["id"])["event"]["date"] == today.isoformat()


def test_emergency_consolation_stays_once_ever_per_household(api: Api, backend: Backend) -> None:
    household = id_number()
    today = office_today()
    other_day = today - timedelta(days=1) if today.timetuple().tm_yday > 1 else today
    first = api.submit(application(applicant_id=household, event_date=today))
    again = application(applicant_id=household, event_date=other_day)
    problem = assert_problem(
        api.post("/applications", as_="cw.lizhuang", json=again), 409, "duplicate-case"
    )
    assert problem["existing_application_id"] == first["id"]
    assert cases_of(backend, household, "emergency_consolation") == 1


def test_racing_submissions_of_different_events_within_the_interval_make_one_case(
    api: Api, backend: Backend
) -> None:
    household = id_number()
    today = office_today()
    kinds = ("serious_illness", "disaster", "accident_injury", "disability")
    bodies = [hardship(household, kinds[i % 4], today - timedelta(days=i * 20)) for i in range(8)]
    headers = api.headers("cw.lizhuang")
    url = f"{api.server.url}/api/v1/applications"

    def send(body: dict) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            return client.post(url, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, bodies))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 7, [response.text for response in responses]
    (winner,) = [r.json()["id"] for r in responses if r.status_code == 201]
    for response in responses:
        if response.status_code == 409:
            problem = assert_problem(response, 409, "household-event-too-soon")
            assert problem["existing_application_id"] == winner
    assert cases_of(backend, household) == 1


def test_racing_submissions_of_the_same_event_make_one_case(api: Api, backend: Backend) -> None:
    household = id_number()
    on = office_today() - timedelta(days=5)
    headers = api.headers("cw.lizhuang")
    url = f"{api.server.url}/api/v1/applications"

    def send(_: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            return client.post(url, json=hardship(household, "disaster", on), headers=headers)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(send, range(6)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 5, [response.text for response in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "duplicate-case")
    assert cases_of(backend, household) == 1


def test_the_catalogue_says_what_once_counts(api: Api) -> None:
    programs = {p["code"]: p for p in api.get("/programs", as_="au.county").json()}
    hardship_relief, consolation = programs["hardship_relief"], programs["emergency_consolation"]
    assert (hardship_relief["once_per"], hardship_relief["min_interval_months"]) == (
        "household_event",
        12,
    )
    assert (consolation["once_per"], consolation["min_interval_months"]) == ("household", None)


def _person(number: str) -> dict:
    return {"name": "李建国", "id_number": number}
