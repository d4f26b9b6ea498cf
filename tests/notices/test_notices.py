"""Public notice 公示 and objections 举报 (issue 7), on both databases, through a real server and
the real `relief worker`, on a clock the test moves.

County approval puts a case on notice for 7 days: the public list (no login) shows it masked;
when the notice runs out the payout is owed. An objection during the notice opens the county's
task 核查举报 and holds the payout until the county dismisses it (the payout goes on) or upholds
it (the case is revoked). No public response ever carries a full ID, card or phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from service.clock import set_clock
from tests.conftest import VILLAGE_CHAIN, Api, assert_problem, relief_cli
from tests.factories import application, id_number
from tests.flows.helpers import OwnServer, own_server
from tests.programs.test_special_assistance import special

COUNTY = "130123"
DONGCHENG = "130123100"
XIHE = "130123200"
PHONE = "13912345678"
NOTICE_DAYS = 7
MAX_PER_HOUR = 3


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def noticed_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[OwnServer, Path]]:
    """A server with a 7-day notice whose processes all read the clock from one file."""
    tmp = tmp_path_factory.mktemp(f"notices-{request.param}")
    clock = tmp / "clock"
    set_clock(clock, datetime.now(UTC).replace(microsecond=0))
    settings = {
        "RELIEF_CLOCK_FILE": str(clock),
        "RELIEF_NOTICE_DAYS": str(NOTICE_DAYS),
        "RELIEF_OBJECTION_MAX_PER_HOUR": str(MAX_PER_HOUR),
    }
    with own_server(request.param, tmp, **settings) as server:
        yield server, clock


@pytest.fixture
def api(noticed_server: tuple[OwnServer, Path]) -> Api:
    server, _clock = noticed_server
    assert server.api is not None
    return server.api


@pytest.fixture
def clock(noticed_server: tuple[OwnServer, Path]) -> Path:
    return noticed_server[1]


def _now(clock: Path) -> datetime:
    return datetime.fromisoformat(clock.read_text())


def _worker(server: OwnServer) -> None:
    relief_cli(server.backend.env, "worker", "--once")


_address_counter = iter(range(1, 1_000_000))


def _address() -> str:
    """A client address of its own (the server trusts X-Forwarded-For from loopback, as it
    would from the office's reverse proxy), so tests do not share a rate limit."""
    n = next(_address_counter)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def _approved_by_county(api: Api, *, program_body: dict | None = None) -> tuple[dict, dict]:
    """A case with a phone and a spouse, approved by the county; (submitted body, case)."""
    body = program_body or application(spouse_id=id_number())
    body["household"]["phone"] = PHONE  # type: ignore[index]
    case = api.submit(body)
    for kind in case["required_documents"]:
        assert api.attach(case["id"], kind).status_code == 201
    for user in VILLAGE_CHAIN:
        api.act(case["id"], "approve", as_=user)
    return body, api.case(case["id"])


def _public(api: Api, path: str, **params: object) -> httpx.Response:
    response = api.get(path, as_=None, params=params)
    _assert_no_full_numbers(response.text)
    return response


def _notices(api: Api, **params: object) -> list[dict]:
    response = _public(api, "/public/notices", county=COUNTY, limit=500, **params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _notice_of(api: Api, case: dict) -> dict | None:
    masked = case["applicant"]["id_number"]
    found = [n for n in _notices(api) if n["id_number"] == masked]
    assert len(found) <= 1
    return found[0] if found else None


def _object(
    api: Api, notice_id: int, text: str = "该户不符合条件，孩子仍健在。", **extra: object
) -> httpx.Response:
    address = str(extra.pop("address", _address()))
    response = api.post(
        f"/public/notices/{notice_id}/objections",
        as_=None,
        json={"text": text, **extra},
        headers={"X-Forwarded-For": address},
    )
    _assert_no_full_numbers(response.text)
    return response


# Resident IDs, bank cards (16-19 digits) and mobile numbers, whole.
FULL_NUMBER = re.compile(r"(?<![\d*])(\d{17}[\dX]|\d{16,19}|1[3-9]\d{9})(?![\d*])")
# A problem's request id is 32 hex characters, whose digit runs can look like any of those.
REQUEST_ID = re.compile(r'"request_id":"[0-9a-f]{32}"')


def _assert_no_full_numbers(text: str) -> None:
    scanned = REQUEST_ID.sub('"request_id":"*"', text)
    assert not FULL_NUMBER.search(scanned), FULL_NUMBER.search(scanned)


def _tasks(api: Api, case_id: int, user: str) -> list[dict]:
    response = api.get("/tasks", as_=user, params={"application_id": case_id})
    assert response.status_code == 200, response.text
    return response.json()


def _owed(api: Api, case_id: int) -> bool:
    """Whether the finance office has a pending payout of the case."""
    params = {"status": "pending", "application_id": case_id}
    response = api.get("/payouts", as_="fo.county", params=params)
    assert response.status_code == 200, response.text
    return bool(response.json()["items"])


# --- the notice --------------------------------------------------------------------------------


def test_county_approval_puts_the_case_on_notice_masked_without_a_payout(
    api: Api, clock: Path
) -> None:
    approved_at = _now(clock)
    body, case = _approved_by_county(api)
    assert case["status"] == "notice"
    assert _tasks(api, case["id"], "fo.county") == []
    assert not _owed(api, case["id"])

    notice = _notice_of(api, case)
    assert notice is not None
    applicant = body["applicant"]  # type: ignore[index]
    assert notice["name"] == "王*英"
    assert (
        notice["id_number"] == applicant["id_number"][:4] + "*" * 10 + applicant["id_number"][-4:]
    )
    assert notice["village_name"] == "李庄村"
    assert notice["township_name"] == "东城镇"
    assert notice["program"] == "emergency_consolation"
    assert notice["amount"] == "3000.00"
    assert notice["state"] == "open"
    ends = datetime.fromisoformat(notice["ends_at"])
    assert ends - approved_at == timedelta(days=NOTICE_DAYS)
    # The township filter narrows the list; another township does not show the case.
    assert notice["id"] in {n["id"] for n in _notices(api, township=DONGCHENG)}
    assert notice["id"] not in {n["id"] for n in _notices(api, township=XIHE)}
    # What the public sees holds no full personal number of this household.
    everything = _public(api, "/public/notices", county=COUNTY).text
    for number in (applicant["id_number"], body["household"]["bank_card"], PHONE):  # type: ignore[index]
        assert number not in everything


def test_when_the_notice_runs_out_the_payout_is_owed_and_the_recipient_published(
    noticed_server: tuple[OwnServer, Path], api: Api, clock: Path
) -> None:
    server, _ = noticed_server
    _body, case = _approved_by_county(api)
    notice = _notice_of(api, case)
    assert notice is not None

    set_clock(clock, datetime.fromisoformat(notice["ends_at"]) - timedelta(minutes=1))
    _worker(server)
    assert api.case(case["id"])["status"] == "notice"  # not a minute early

    set_clock(clock, datetime.fromisoformat(notice["ends_at"]) + timedelta(seconds=1))
    _worker(server)
    assert api.case(case["id"])["status"] == "approved"
    assert _notice_of(api, case) is None  # no longer on show
    assert _owed(api, case["id"])

    api.act(case["id"], "approve", as_="fo.county", data={"bank_reference": f"BOC-{case['id']}"})
    year = _now(clock).year
    response = _public(api, "/public/recipients", county=COUNTY, year=year, limit=500)
    assert response.status_code == 200, response.text
    mine = [r for r in response.json()["items"] if r["id_number"] == case["applicant"]["id_number"]]
    assert len(mine) == 1
    assert mine[0]["name"] == "王*英"
    assert mine[0]["amount"] == "3000.00"
    assert mine[0]["village_name"] == "李庄村"
    assert mine[0]["period"] == "once"
    # Nobody was paid there in another year.
    other = _public(api, "/public/recipients", county=COUNTY, year=year - 5).json()
    assert other["items"] == []


def test_special_assistance_is_enrolled_only_after_its_notice(
    noticed_server: tuple[OwnServer, Path], api: Api, clock: Path
) -> None:
    server, _ = noticed_server
    body = special()
    _body, case = _approved_by_county(api, program_body=body)
    assert case["status"] == "notice"
    notice = _notice_of(api, case)
    assert notice is not None
    # Both parents, each: 2 × the year's base standard. The county's 1,000 CNY premium per
    # parent is paid to the pension fund on their behalf: not the family's money, not shown.
    standards = {2025: 720000, 2026: 780000, 2027: 820000}
    expected = 2 * 2 * standards[_now(clock).year]
    assert notice["amount_fen"] == expected
    set_clock(clock, datetime.fromisoformat(notice["ends_at"]) + timedelta(seconds=1))
    _worker(server)
    assert api.case(case["id"])["status"] == "enrolled"


# --- objections ----------------------------------------------------------------------------------


def _objection_task(api: Api, case_id: int) -> dict:
    tasks = _tasks(api, case_id, "ca.county")
    assert [t["spec"] for t in tasks] == ["objection_review"], tasks
    return tasks[0]


def test_an_objection_holds_the_payout_until_the_county_dismisses_it(
    noticed_server: tuple[OwnServer, Path], api: Api, clock: Path
) -> None:
    server, _ = noticed_server
    _body, case = _approved_by_county(api)
    notice = _notice_of(api, case)
    assert notice is not None

    response = _object(api, notice["id"], contact="13800001111")
    assert response.status_code == 202, response.text
    assert response.json()["notice_state"] == "held"
    assert api.case(case["id"])["status"] == "held"
    assert _notice_of(api, case)["state"] == "held"  # type: ignore[index]
    task = _objection_task(api, case["id"])
    assert (task["name"], task["name_en"]) == ("核查举报", "Objection review")

    # The notice period ends while the county is still examining: nothing is paid.
    set_clock(clock, datetime.fromisoformat(notice["ends_at"]) + timedelta(hours=1))
    _worker(server)
    assert api.case(case["id"])["status"] == "held"
    assert _tasks(api, case["id"], "fo.county") == []
    assert not _owed(api, case["id"])

    # The county approver sees the objection and the contact; the auditor sees it masked.
    seen = api.get(f"/applications/{case['id']}/objections", as_="ca.county").json()
    assert [(o["contact"], o["resolution"]) for o in seen] == [("13800001111", None)]
    audited = api.get(f"/applications/{case['id']}/objections", as_="au.county").json()
    assert audited[0]["contact"] == "138****1111"
    refused = api.get(f"/applications/{case['id']}/objections", as_="tr.dongcheng")
    assert_problem(refused, 403)

    # Dismissed after the window: the payout is owed at once.
    done = api.decide(task["id"], "approve", as_="ca.county", comment="经核查举报不实")
    assert done.status_code == 200, done.text
    assert api.case(case["id"])["status"] == "approved"
    assert _owed(api, case["id"])
    seen = api.get(f"/applications/{case['id']}/objections", as_="ca.county").json()
    assert [o["resolution"] for o in seen] == ["dismissed"]

    # The trail proves the objection without repeating its text.
    [event] = [e for e in api.events(case["id"]) if e["action"] == "objection_received"]
    assert event["actor"] == "public"
    assert event["after"]["status"] == "held"
    assert event["after"]["chars"] == len("该户不符合条件，孩子仍健在。")
    assert "孩子" not in str(event)


def test_a_dismissal_within_the_window_returns_the_case_to_its_notice(
    noticed_server: tuple[OwnServer, Path], api: Api, clock: Path
) -> None:
    server, _ = noticed_server
    _body, case = _approved_by_county(api)
    notice = _notice_of(api, case)
    assert notice is not None
    assert _object(api, notice["id"]).status_code == 202
    task = _objection_task(api, case["id"])
    assert api.decide(task["id"], "approve", as_="ca.county").status_code == 200
    assert api.case(case["id"])["status"] == "notice"
    again = _notice_of(api, case)
    assert again is not None
    assert again["state"] == "open"
    assert again["ends_at"] == notice["ends_at"]  # the same window, not a new one
    # A second objection in the same window opens a second review.
    assert _object(api, notice["id"], text="再次举报").status_code == 202
    _objection_task(api, case["id"])


def test_an_upheld_objection_revokes_the_case_and_nothing_is_paid(api: Api) -> None:
    _body, case = _approved_by_county(api)
    notice = _notice_of(api, case)
    assert notice is not None
    assert _object(api, notice["id"]).status_code == 202
    task = _objection_task(api, case["id"])
    done = api.decide(task["id"], "reject", as_="ca.county", comment="举报属实")
    assert done.status_code == 200, done.text
    detail = api.case(case["id"])
    assert detail["status"] == "revoked"
    assert detail["payout"] is None
    assert _notice_of(api, case) is None
    assert _tasks(api, case["id"], "fo.county") == []
    seen = api.get(f"/applications/{case['id']}/objections", as_="ca.county").json()
    assert [o["resolution"] for o in seen] == ["upheld"]
    # The notice is closed: no more objections.
    assert_problem(_object(api, notice["id"]), 409, "conflict")


def test_concurrent_objections_all_count_and_open_one_review(api: Api) -> None:
    _body, case = _approved_by_county(api)
    notice = _notice_of(api, case)
    assert notice is not None
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda n: _object(api, notice["id"], text=f"举报 {n}").status_code, range(8))
        )
    assert statuses == [202] * 8
    _objection_task(api, case["id"])  # exactly one
    seen = api.get(f"/applications/{case['id']}/objections", as_="ca.county").json()
    assert sorted(o["text"] for o in seen) == sorted(f"举报 {n}" for n in range(8))


# --- refusals: each changes nothing --------------------------------------------------------------


def test_bad_objections_are_refused_and_change_nothing(api: Api) -> None:
    _body, case = _approved_by_county(api)
    notice = _notice_of(api, case)
    assert notice is not None
    assert_problem(_object(api, 99_999_999), 404, "not-found")
    assert_problem(_object(api, notice["id"], text="   "), 422, "invalid-input")
    assert_problem(_object(api, notice["id"], text="长" * 2001), 422, "invalid-input")
    assert_problem(_object(api, notice["id"], contact="x" * 101), 422)
    huge = api.client.post(
        f"/public/notices/{notice['id']}/objections",
        content=b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json", "X-Forwarded-For": _address()},
    )
    assert_problem(huge, 413)
    assert api.case(case["id"])["status"] == "notice"
    assert api.get(f"/applications/{case['id']}/objections", as_="ca.county").json() == []
    # Public lists check their parameters too.
    assert_problem(_public(api, "/public/notices", county="13012"), 422)
    assert_problem(_public(api, "/public/notices", county=COUNTY, township="130124100"), 422)
    assert_problem(_public(api, "/public/recipients", county=COUNTY, year=1900), 422)


def test_objections_are_limited_per_address(api: Api) -> None:
    _body, case = _approved_by_county(api)
    notice = _notice_of(api, case)
    assert notice is not None
    address = _address()
    for n in range(MAX_PER_HOUR):
        assert _object(api, notice["id"], text=f"第{n}次", address=address).status_code == 202
    refused = _object(api, notice["id"], text="太多了", address=address)
    assert_problem(refused, 429, "too-many-requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    seen = api.get(f"/applications/{case['id']}/objections", as_="ca.county").json()
    assert len(seen) == MAX_PER_HOUR
    # Another address is not held back by this one.
    assert _object(api, notice["id"], text="另一位群众").status_code == 202


def test_a_notice_closed_by_its_end_takes_no_objection(
    noticed_server: tuple[OwnServer, Path], api: Api, clock: Path
) -> None:
    _body, case = _approved_by_county(api)
    notice = _notice_of(api, case)
    assert notice is not None
    # Past its end, before the worker has moved the case: refused by the window itself.
    set_clock(clock, datetime.fromisoformat(notice["ends_at"]) + timedelta(seconds=1))
    assert_problem(_object(api, notice["id"]), 409, "conflict")
    assert api.case(case["id"])["status"] == "notice"
    _worker(noticed_server[0])
    assert api.case(case["id"])["status"] == "approved"


def test_auditors_see_every_shape_of_an_objectors_contact_masked(api: Api, clock: Path) -> None:
    """The contact goes to the county approver as given; auditors see it masked however it
    was written (docs/api.md), and numbers typed into the text are masked before it is stored."""
    card = "6228 4829 1417 7763 174"
    contacts = ["+86 138-0000-1111", "139 1234 5678", "wang.xiaoming@example.com", "微信 wxm_1990"]
    case_ids = []
    for contact in contacts:
        # The event happened "this year" on the server's clock, which earlier tests moved.
        body = application(spouse_id=id_number(), event_date=_now(clock).date())
        _body, case = _approved_by_county(api, program_body=body)
        notice = _notice_of(api, case)
        assert notice is not None
        response = _object(
            api, notice["id"], text=f"他家的卡号是 {card}，请核查。", contact=contact
        )
        assert response.status_code == 202, response.text
        case_ids.append(case["id"])
    for contact, case_id in zip(contacts, case_ids, strict=True):
        path = f"/applications/{case_id}/objections"
        [seen] = api.get(path, as_="ca.county").json()
        assert seen["contact"] == contact
        assert seen["text"] == "他家的卡号是 6228 **** **** ***3 174，请核查。"
        [audited] = api.get(path, as_="au.county").json()
        assert audited["contact"] != contact
        assert audited["contact"] in {
            "+86 138-****-1111",
            "139 **** 5678",
            "w" + "*" * (len(contact) - 1),
            "微" + "*" * (len(contact) - 1),
        }
