"""The only-child parents' rewards of seed 003 line 355, whose sums the seed leaves blank
(光荣证 每人每月**元; 放弃二胎 夫妻双方各**00元): the county's administrator sets the amount per
county and year; no case is taken, and no flow activated, while it is unset; the payout is
exactly the amount set (each parent; the monthly reward for the months the child is under 18).

Each test takes a county of its own (tests/fresh_county.py): amounts are per county."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import httpx
import openpyxl
import pytest

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.factories import bank_card
from tests.flows.helpers import ROOT, activate, own_server, upload
from tests.fresh_county import County, chain, make_county
from tests.programs.households import couple_case

MONTHLY = "only_child_monthly_reward"
WAIVER = "second_child_waiver_reward"
WIFE_BORN = (date(1975, 1, 1), date(1990, 12, 28))
THIS_YEAR = date.today().year
WORKFLOWS = ROOT / "workflows"


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def coded(response: httpx.Response, status: int, code: str) -> dict:
    """The problem of ``status`` whose ``code`` is ``code``."""
    problem = assert_problem(response, status)
    assert problem["code"] == code, problem
    return problem


def put_amount(
    api: Api, program: str, county: str, year: int, amount: object, *, as_: str
) -> httpx.Response:
    return api.client.put(
        f"/programs/{program}/amounts/{county}/{year}",
        headers=api.headers(as_),
        json={"amount_fen": amount},
    )


def waiver_case(county: County, *, year: int = THIS_YEAR, spouse: bool = True) -> dict:
    body = couple_case(
        WAIVER,
        "second_child_waiver",
        wife_born=WIFE_BORN,
        village=county.village(1),
        event_date=date(year, 1, 2),
        household={"certificate_holder": True},
    )
    if not spouse:
        del body["spouse"]
    return body


def monthly_case(
    county: County, *, child_born: date, spouse: bool = True, year: int = THIS_YEAR
) -> dict:
    body = couple_case(
        MONTHLY,
        "only_child_reward_year",
        wife_born=WIFE_BORN,
        village=county.village(1),
        event_date=date(year, 1, 1),
        household={"certificate_holder": True},
    )
    body["child_birth_date"] = child_born.isoformat()
    if not spouse:
        del body["spouse"]
    return body


def run_to_payment(api: Api, county: County, body: dict, *, reference: str) -> dict:
    """Submit in the county, attach what the case needs, approve up the chain, pay; the case."""
    case = api.submit(body, as_=county["cw"])
    for kind in case["required_documents"]:
        assert api.attach(case["id"], kind, as_=county["cw"]).status_code == 201
    for user in chain(county):
        api.act(case["id"], "approve", as_=user)
    paid = api.act(case["id"], "approve", as_=county["fo"], data={"bank_reference": reference})
    assert paid["status"] == "paid", paid
    return api.case(case["id"], as_=county["au"])


def test_a_case_is_refused_while_the_county_has_not_set_the_year_s_amount(
    api: Api, county: County
) -> None:
    body = waiver_case(county)
    response = api.post("/applications", as_=county["cw"], json=body)
    problem = coded(response, 409, "program-amount-unset")
    assert problem["params"] == {"program": WAIVER, "county": county.code, "year": THIS_YEAR}
    listed = api.get("/applications", as_=county["au"], params={"program": WAIVER})
    assert listed.json()["items"] == []
    # Last year's amount is not this year's: still refused.
    last_year = put_amount(api, WAIVER, county.code, THIS_YEAR - 1, 50000, as_=county["admin"])
    assert last_year.is_success
    response = api.post("/applications", as_=county["cw"], json=body)
    coded(response, 409, "program-amount-unset")
    # Set for the event's year, the same submission is taken.
    assert put_amount(api, WAIVER, county.code, THIS_YEAR, 50000, as_=county["admin"]).is_success
    assert api.post("/applications", as_=county["cw"], json=body).status_code == 201


def test_the_administrator_sets_the_amount_of_their_county_audited(
    api: Api, county: County
) -> None:
    admin = county["admin"]
    response = put_amount(api, MONTHLY, county.code, THIS_YEAR, 1000, as_=admin)
    assert response.status_code == 200, response.text
    assert response.json()["amount_fen"] == 1000
    assert response.json()["amount_cny"] == "10.00"
    changed = put_amount(api, MONTHLY, county.code, THIS_YEAR, 1500, as_=admin)
    assert changed.json()["amount_fen"] == 1500
    listed = api.get(f"/programs/{MONTHLY}/amounts", as_=county["cw"]).json()
    assert [(row["county_code"], row["year"], row["amount_fen"]) for row in listed] == [
        (county.code, THIS_YEAR, 1500)
    ]
    # Another county's caseworker sees only their own county's amounts.
    elsewhere = api.get(f"/programs/{MONTHLY}/amounts", as_="cw.lizhuang").json()
    assert {row["county_code"] for row in elsewhere} <= {"130123"}
    trail = api.get(
        "/audit/events",
        as_=county["au"],
        params={"action": "program_amount_set", "limit": 1000},
    ).json()["items"]
    assert [(event["before"], event["after"]["amount_fen"]) for event in trail] == [
        (None, 1000),
        ({"amount_fen": 1000}, 1500),
    ]
    assert {event["actor"] for event in trail} == {admin}
    assert trail[0]["after"] == {
        "program": MONTHLY, "county": county.code, "year": THIS_YEAR, "amount_fen": 1000
    }  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "program-amount-range"),
        (-500, "program-amount-range"),
        (100001, "program-amount-range"),  # above the catalogue's max_fen of a month
        (10.5, "int_type"),
        ("1000", "int_type"),
        (True, "int_type"),
    ],
)
def test_a_bad_amount_is_422_and_changes_nothing(
    api: Api, county: County, amount: object, code: str
) -> None:
    response = put_amount(api, MONTHLY, county.code, THIS_YEAR, amount, as_=county["admin"])
    problem = assert_problem(response, 422)
    assert code in {problem["code"], *(error["code"] for error in problem.get("errors", []))}
    assert api.get(f"/programs/{MONTHLY}/amounts", as_=county["admin"]).json() == []


def test_who_may_set_an_amount_and_where(api: Api, county: County) -> None:
    admin = county["admin"]
    # Another county: 403, whichever way round.
    outside = put_amount(api, MONTHLY, "130123", THIS_YEAR, 1000, as_=admin)
    assert coded(outside, 403, "program-amount-outside-jurisdiction")["params"] == {
        "county": "130123"
    }
    outside = put_amount(api, MONTHLY, county.code, THIS_YEAR, 1000, as_="admin")
    coded(outside, 403, "program-amount-outside-jurisdiction")
    # Not an administrator (a county approver, the auditor): 403; no token: 401.
    for user in (county["ca"], county["au"], county["cw"]):
        assert_problem(put_amount(api, MONTHLY, county.code, THIS_YEAR, 1000, as_=user), 403)
    assert_problem(put_amount(api, MONTHLY, county.code, THIS_YEAR, 1000, as_=None), 401)
    # A year out of range, a township, an unknown county, a fixed-amount program.
    year = put_amount(api, MONTHLY, county.code, THIS_YEAR + 2, 1000, as_=admin)
    coded(year, 422, "program-amount-year")
    assert_problem(put_amount(api, MONTHLY, county.township, THIS_YEAR, 1000, as_=admin), 422)
    unknown = put_amount(api, MONTHLY, "139999", THIS_YEAR, 1000, as_=admin)
    coded(unknown, 404, "region-not-found")
    fixed = put_amount(api, "emergency_consolation", county.code, THIS_YEAR, 1000, as_=admin)
    coded(fixed, 409, "program-amount-fixed")
    assert_problem(put_amount(api, "no_such", county.code, THIS_YEAR, 1000, as_=admin), 404)
    assert api.get(f"/programs/{MONTHLY}/amounts", as_=admin).json() == []


def test_the_waiver_reward_pays_each_of_the_couple_the_amount_set(api: Api, county: County) -> None:
    assert put_amount(api, WAIVER, county.code, THIS_YEAR, 50000, as_=county["admin"]).is_success
    case = api.submit(waiver_case(county), as_=county["cw"])
    assert case["eligibility"]["eligibility"] == "eligible"
    assert "second_child_waiver_record" in case["required_documents"]
    assert "only_child_certificate" in case["required_documents"]
    # Changed before the county approves: the payout reads the amount then.
    assert put_amount(api, WAIVER, county.code, THIS_YEAR, 60000, as_=county["admin"]).is_success
    for kind in case["required_documents"]:
        assert api.attach(case["id"], kind, as_=county["cw"]).status_code == 201
    for user in chain(county):
        api.act(case["id"], "approve", as_=user)
    paid = api.act(case["id"], "approve", as_=county["fo"], data={"bank_reference": "W-1"})
    assert paid["status"] == "paid"
    payout = api.case(case["id"], as_=county["au"])["payout"]
    assert payout["amount_fen"] == 120000  # 夫妻双方各 600 元
    assert payout["rule"]["amount_per_unit_fen"] == 60000
    assert payout["rule"]["parents"] == 2
    assert (payout["rule"]["county"], payout["rule"]["year"]) == (county.code, THIS_YEAR)


def test_one_applicant_alone_is_paid_once_the_amount(api: Api, county: County) -> None:
    assert put_amount(api, WAIVER, county.code, THIS_YEAR, 50000, as_=county["admin"]).is_success
    detail = run_to_payment(api, county, waiver_case(county, spouse=False), reference="W-2")
    assert detail["payout"]["amount_fen"] == 50000


def test_the_monthly_reward_pays_each_parent_the_months_the_child_is_under_18(
    api: Api, county: County
) -> None:
    assert put_amount(api, MONTHLY, county.code, THIS_YEAR, 1000, as_=county["admin"]).is_success
    # The child turns 18 in June of this year: January to June, each parent.
    turns_18 = monthly_case(county, child_born=date(THIS_YEAR - 18, 6, 15))
    detail = run_to_payment(api, county, turns_18, reference="M-1")
    assert detail["payout"]["amount_fen"] == 6 * 2 * 1000
    assert detail["payout"]["rule"]["units"] == 6
    # A younger child: the whole year; one applicant: one parent.
    younger = monthly_case(county, child_born=date(THIS_YEAR - 10, 3, 1), spouse=False)
    younger["household"]["bank_card"] = bank_card()
    assert run_to_payment(api, county, younger, reference="M-2")["payout"]["amount_fen"] == 12000


def test_the_monthly_reward_needs_a_child_under_18_and_the_birth_date(
    api: Api, county: County
) -> None:
    assert put_amount(api, MONTHLY, county.code, THIS_YEAR, 1000, as_=county["admin"]).is_success
    grown = monthly_case(county, child_born=date(THIS_YEAR - 19, 6, 15))
    response = api.post("/applications", as_=county["cw"], json=grown)
    assert "18" in assert_problem(response, 422, "ineligible")["reason"]
    unknown = monthly_case(county, child_born=date(THIS_YEAR - 5, 1, 1))
    del unknown["child_birth_date"]
    response = api.post("/applications", as_=county["cw"], json=unknown)
    assert "child_birth_date" in assert_problem(response, 422, "ineligible")["reason"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_flow_is_not_activated_for_the_program_while_no_county_has_an_amount(
    kind: str, tmp_path: Path
) -> None:
    """On a server of its own: activation changes every new case's flow, for everyone."""
    with own_server(kind, tmp_path) as server:
        api = server.api
        assert api is not None
        content = (WORKFLOWS / f"{WAIVER}.bpmn").read_bytes()
        draft = content.replace(b"</bpmn:documentation>", b" (v2)</bpmn:documentation>", 1)
        uploaded = upload(api, (f"{WAIVER}.bpmn", draft))
        assert uploaded.status_code == 201, uploaded.text
        number = uploaded.json()["version"]
        refused = activate(api, WAIVER, number)
        assert coded(refused, 409, "program-amount-none")["params"] == {"program": WAIVER}
        assert api.get(f"/programs/{WAIVER}", as_="admin").json()["active_flow"] == f"{WAIVER}@v1"
        assert put_amount(api, WAIVER, "130123", THIS_YEAR, 50000, as_="admin").is_success
        assert activate(api, WAIVER, number).status_code == 200
        active = api.get(f"/programs/{WAIVER}", as_="admin").json()["active_flow"]
        assert active == f"{WAIVER}@v{number}"


def test_the_catalogue_shows_the_amount_is_the_county_s(api: Api) -> None:
    programs = {p["code"]: p for p in api.get("/programs", as_="cw.lizhuang").json()}
    monthly, waiver = programs[MONTHLY], programs[WAIVER]
    assert (monthly["name_zh"], monthly["amount_fen"]) == ("独生子女父母奖励金", 0)
    assert monthly["amount_by_county"] == {
        "unit": "month", "per": "parent", "until_child_age": 18, "max_fen": 100000
    }  # fmt: skip
    assert monthly["documents"]["by_event"] == {
        "only_child_reward_year": ["only_child_certificate"]
    }
    assert (waiver["name_zh"], waiver["amount_fen"]) == ("放弃二胎一次性奖励", 0)
    assert waiver["amount_by_county"]["unit"] == "once"
    assert waiver["documents"]["by_event"]["second_child_waiver"] == [
        "only_child_certificate",
        "second_child_waiver_record",
    ]
    # Fixed-amount programs say so.
    assert programs["emergency_consolation"]["amount_by_county"] is None


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_public_notice_shows_the_amount_the_county_set(kind: str, tmp_path: Path) -> None:
    """公示 with a notice period (the shared test server's lasts 0 days): the sum shown is the
    county's amount for the couple, not the catalogue's 0."""
    with own_server(kind, tmp_path, RELIEF_NOTICE_DAYS="7") as server:
        api = server.api
        assert api is not None
        assert put_amount(api, WAIVER, "130123", THIS_YEAR, 50000, as_="admin").is_success
        body = couple_case(
            WAIVER,
            "second_child_waiver",
            wife_born=WIFE_BORN,
            event_date=date(THIS_YEAR, 1, 2),
            household={"certificate_holder": True},
        )
        case = api.submit(body)
        for document in case["required_documents"]:
            assert api.attach(case["id"], document).status_code == 201
        for user in ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county"):
            api.act(case["id"], "approve", as_=user)
        notices = api.get("/public/notices", as_=None, params={"county": "130123"}).json()
        assert [(n["program"], n["amount_fen"]) for n in notices["items"]] == [(WAIVER, 100000)]


def test_a_household_claims_the_monthly_reward_once_per_reward_year(
    api: Api, county: County
) -> None:
    for year in (THIS_YEAR - 1, THIS_YEAR):
        assert put_amount(api, MONTHLY, county.code, year, 1000, as_=county["admin"]).is_success
    last_year = monthly_case(county, child_born=date(THIS_YEAR - 10, 3, 1), year=THIS_YEAR - 1)
    assert api.post("/applications", as_=county["cw"], json=last_year).status_code == 201
    this_year = {
        **last_year,
        "event": {"kind": "only_child_reward_year", "date": f"{THIS_YEAR}-01-01"},
    }
    assert api.post("/applications", as_=county["cw"], json=this_year).status_code == 201
    # A second case of the same household in the same reward year is refused.
    again = {**last_year, "event": {"kind": "only_child_reward_year", "date": f"{THIS_YEAR}-01-01"}}
    problem = assert_problem(api.post("/applications", as_=county["cw"], json=again), 409)
    assert problem["params"]["program"] == MONTHLY


def test_the_township_roster_lists_the_county_s_amount_before_approval(
    api: Api, county: County
) -> None:
    """花名册: a case the township sent up, not approved by the county yet, is listed with the
    county's amount for the couple (the catalogue's amount is 0)."""
    assert put_amount(api, WAIVER, county.code, THIS_YEAR, 50000, as_=county["admin"]).is_success
    case = api.submit(waiver_case(county), as_=county["cw"])
    for kind in case["required_documents"]:
        assert api.attach(case["id"], kind, as_=county["cw"]).status_code == 201
    for user in chain(county)[:3]:  # village, co-sign, township
        api.act(case["id"], "approve", as_=user)
    query = {"township": county.township, "program": WAIVER, "year": THIS_YEAR}
    response = api.get("/rosters/township.xlsx", as_=county["tr"], params=query)
    assert response.status_code == 200, response.text
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert [row[9] for row in rows[2:-1]] == ["1000.00"]


def test_a_correction_to_a_year_without_an_amount_is_refused(api: Api, county: County) -> None:
    assert put_amount(api, WAIVER, county.code, THIS_YEAR, 50000, as_=county["admin"]).is_success
    case = api.submit(waiver_case(county), as_=county["cw"])
    edit = {"event": {"kind": "second_child_waiver", "date": f"{THIS_YEAR - 1}-05-01"}}
    response = api.patch(f"/applications/{case['id']}", as_=county["cw"], json=edit)
    problem = coded(response, 409, "program-amount-unset")
    assert problem["params"]["year"] == THIS_YEAR - 1
    assert api.case(case["id"], as_=county["au"])["event"]["date"] == f"{THIS_YEAR}-01-02"
