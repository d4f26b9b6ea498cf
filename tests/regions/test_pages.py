"""The console's Places page (/regions) over plain HTTP: an administrator of a county of its
own renames, adds and merges, with the session's CSRF token; refusals are shown in Chinese."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser, Server
from tests.fresh_county import County, advance, make_county, submit_ready
from tests.web.pages import Page, logged_in


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


@pytest.fixture
def admin(server: Server, county: County) -> Page:
    return logged_in(server, county["admin"])


def region(backend: Backend, code: str) -> sa.Row:
    with backend.engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT name, merged_into FROM region WHERE code = :code"), {"code": code}
        ).one()


def test_the_page_shows_the_county_tree_to_its_admin_only(
    server: Server, county: County, admin: Page
) -> None:
    page = admin.get("/regions")
    assert page.status_code == 200
    for code, name in (
        (county.township, "东城镇"),
        (county.village(2), "王庄村"),
        (county.other_township, "西河乡"),
        (county.village(3), "河口村"),
    ):
        assert code in page.text
        assert name in page.text
    assert "乡镇和村" in page.text
    assert "尚无合并记录" in page.text
    assert "130123100201" not in page.text  # the demo county is another county
    assert logged_in(server, county["ca"]).get("/regions").status_code == 404
    assert logged_in(server, county["au"]).get("/regions").status_code == 404


def test_rename_and_add_through_the_forms(backend: Backend, county: County, admin: Page) -> None:
    admin.get("/regions")
    renamed = admin.post(f"/regions/{county.village(1)}/rename", {"name": "李家庄村"})
    assert renamed.status_code == 303
    assert renamed.headers["location"] == "/regions"
    page = admin.get("/regions")
    assert "已更名" in page.text
    assert "李家庄村" in page.text
    assert region(backend, county.village(1)).name == "李家庄村"

    added = admin.post("/regions/add", {"parent": county.township, "number": "205", "name": "新村"})
    assert added.status_code == 303
    assert region(backend, county.township + "205").name == "新村"

    refused = admin.post("/regions/add", {"parent": county.township, "number": "205", "name": "再"})
    assert refused.status_code == 409
    assert "该代码的区划已存在" in refused.text
    blank = admin.post(f"/regions/{county.village(1)}/rename", {"name": "   "})
    assert blank.status_code == 422
    assert "名称为 1 至 100 个字符" in blank.text
    assert region(backend, county.village(1)).name == "李家庄村"

    forged = admin.post(f"/regions/{county.village(1)}/rename", {"name": "伪造"}, csrf=False)
    assert forged.status_code == 403
    elsewhere = admin.post("/regions/130123100201/rename", {"name": "外县"})
    assert elsewhere.status_code == 404
    assert region(backend, "130123100201").name == "李庄村"


def test_a_merge_shows_what_moves_then_happens_on_confirmation(
    api: Api, backend: Backend, county: County, admin: Page
) -> None:
    case, task_id = submit_ready(api, county, village=3)
    advance(api, county, task_id, levels=1, village=3)
    query = {"source": county.other_township, "into": county.township}
    preview = admin.get("/regions/merge", params=query)
    assert preview.status_code == 200
    assert "1 件案件将转入合并后的区划" in preview.text
    assert "3 名用户将转入合并后的区划" in preview.text
    assert f"{county.village(3)} → {county.township}203" in preview.text
    assert "合并后不可撤销" in preview.text
    assert region(backend, county.other_township).merged_into is None  # nothing yet

    merged = admin.post("/regions/merge", query)
    assert merged.status_code == 303
    page = admin.get("/regions")
    assert "已合并：其案件" in page.text
    history = page.text[page.text.index("已合并的区划") :]
    assert county.other_township in history
    assert "西河乡" in history
    assert region(backend, county.other_township).merged_into == county.township
    assert api.case(case["id"], as_=county["au"])["village"] == county.township + "203"

    again = admin.post("/regions/merge", query)
    assert again.status_code == 409
    assert "该区划已被合并" in again.text
    itself = admin.get(
        "/regions/merge", params={"source": county.township, "into": county.township}
    )
    assert itself.status_code == 422
    assert "不能将区划合并到其自身" in itself.text
    levels = admin.post("/regions/merge", {"source": county.village(1), "into": county.township})
    assert levels.status_code == 422
    assert "村只能并入村" in levels.text
    outside = admin.get("/regions/merge", params={"source": "130123100202", "into": "130123100201"})
    assert outside.status_code == 404
