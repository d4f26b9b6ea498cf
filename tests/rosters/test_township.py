"""The township roster 花名册: the cases a township sent up, as the provincial tables list them."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from stdnum.cn import ric

from tests.conftest import Api, Backend, MakeUser, assert_problem
from tests.factories import application
from tests.fresh_county import County, advance, make_county, submit_ready

HEADER = [
    "序号", "姓名", "性别", "出生年月", "身份证号", "村", "项目", "事件类别", "事件日期",
    "扶助金额(元)", "乡镇审核日期", "当前状态",
]  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MASKED_ID = re.compile(r"^\d{4}\*{10}[\dX]{4}$")


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def woman(born: date) -> str:
    body = f"130123{born:%Y%m%d}024"  # 17th digit even: a woman
    return body + ric.calc_check_digit(body + "0")


def roster(api: Api, user: str, township: str, **params: object):
    query = {"township": township, "program": "emergency_consolation", "year": date.today().year}
    return api.get("/rosters/township.xlsx", as_=user, params={**query, **params})


def rows_of(content: bytes) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_roster_lists_what_the_township_sent_up(api: Api, county: County) -> None:
    # Sent up: a case of each village of the township, the second then approved by the county
    # too. Not sent up: a case still at the village, one of the other township, one the
    # township returned. A hardship case sent up is on the hardship roster only.
    first_body = application(applicant_id=woman(date(1962, 3, 9)))
    first, task = submit_ready(api, county, body=first_body)
    advance(api, county, task, levels=3)
    second, task = submit_ready(api, county, village=2)
    advance(api, county, task, levels=4, village=2)
    submit_ready(api, county)
    _, task = submit_ready(api, county, village=3)
    advance(api, county, task, levels=3, village=3)
    _, task = submit_ready(
        api, county, body=application(program="hardship_relief", kind="disaster")
    )
    advance(api, county, task, levels=3)
    _, task = submit_ready(api, county)
    township_task = advance(api, county, task, levels=2)
    assert township_task is not None
    back = api.decide(township_task["id"], "return", as_=county["tr"], comment="补正")
    assert back.status_code == 200, back.text

    response = roster(api, county["tr"], county.township)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    rows = rows_of(response.content)
    title, header, body, footer = rows[0], rows[1], rows[2:-1], rows[-1]
    assert title[0] == f"东城镇{date.today().year}年紧急慰藉对象花名册"
    assert header == HEADER
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    first_id = first_body["applicant"]["id_number"]  # type: ignore[index]
    assert [row[0] for row in body] == [1, 2]  # 序号, in the order the township approved
    assert [row[5] for row in body] == ["李庄村", "王庄村"]
    for row in body:
        assert MASKED_ID.match(row[4]), row[4]
        assert row[6:8] == ["紧急慰藉", "独生子女死亡"]
        assert row[9] == "3000.00"
        assert row[10] == today  # 乡镇审核日期, office time
    assert body[0][1:5] == ["王秀英", "女", "1962.03", first_id[:4] + "*" * 10 + first_id[-4:]]
    assert [body[0][11], body[1][11]] == ["审核中", "已批准待发放"]
    assert body[1][8] == second["event"]["date"]
    assert footer[:2] == ["合计", "2人"]
    assert footer[9] == "6000.00"
    assert first_id.encode() not in response.content  # full numbers are nowhere in the file

    # Another year, another program: other rosters.
    assert rows_of(roster(api, county["tr"], county.township, year=2001).content)[2][:2] == [
        "合计",
        "0人",
    ]
    hardship = rows_of(
        roster(api, county["tr"], county.township, program="hardship_relief").content
    )
    assert [(row[0], row[7], row[9]) for row in hardship[2:-1]] == [(1, "自然灾害", "5000.00")]


def test_who_may_download_a_township_roster(api: Api, county: County, make_user: MakeUser) -> None:
    township = county.township
    for user in (county["tr"], county["ca"], county["au"]):
        assert roster(api, user, township).status_code == 200, user
    # Another township's reviewer, another county's approver: not in their jurisdiction.
    assert_problem(roster(api, county["tr2"], township), 404, "not-found")
    assert_problem(roster(api, "ca.county", township), 404, "not-found")
    assert_problem(roster(api, "tr.dongcheng", township), 404, "not-found")
    village_auditor = make_user(["auditor"], county.village(1))
    assert_problem(roster(api, village_auditor, township), 404, "not-found")
    # Roles that do not send or receive rosters.
    for user in (county["cw"], county["vh"], county["fo"], county["admin"]):
        assert_problem(roster(api, user, township), 403, "forbidden")
    assert_problem(roster(api, None, township), 401)  # type: ignore[arg-type]
    # A village or county code is no township; unknown programs and years are typing errors.
    assert_problem(roster(api, county["ca"], county.code + "999"), 404, "not-found")
    assert_problem(roster(api, county["ca"], county.village(1)), 422, "invalid-input")
    assert_problem(roster(api, county["ca"], township, program="nope"), 422, "invalid-input")
    assert_problem(roster(api, county["ca"], township, year=1999), 422, "invalid-input")
