"""The console's people pages: an administrator adds, changes and deactivates users of their
county in Chinese; a user whose password an administrator set changes it before anything else."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import Api, Backend, MakeUser, Server
from tests.fresh_county import County, make_county
from tests.web.pages import Page, logged_in

OTP = re.compile(r'<code class="otp">([^<]+)</code>')
NEW_PASSWORD = "evening bells over the river"


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def test_an_admin_adds_a_user_who_must_change_the_one_time_password_first(
    server: Server, county: County
) -> None:
    admin = logged_in(server, county["admin"])
    listing = admin.get("/people")
    assert listing.status_code == 200
    assert "本辖区用户" in listing.text
    assert county["cw"] in listing.text
    assert "vh.hekou" not in listing.text  # another county's user

    username = f"t.web.{uuid.uuid4().hex[:8]}"
    added = admin.post(
        "/people",
        {
            "username": username,
            "full_name": "赵小梅",
            "roles": ["caseworker"],
            "jurisdiction": county.village(1),
        },
    )
    assert added.status_code == 200, added.text
    assert added.headers["cache-control"] == "no-store"
    password = OTP.search(added.text).group(1)  # type: ignore[union-attr]

    newcomer = Page(server)
    assert newcomer.login(username, password).status_code == 303
    inbox = newcomer.get("/")
    assert inbox.status_code == 303
    assert inbox.headers["location"] == "/password"
    form = newcomer.get("/password")
    assert "请先设置您自己的密码" in form.text
    mismatch = newcomer.post(
        "/password",
        {"current_password": password, "new_password": NEW_PASSWORD, "repeated": "other"},
    )
    assert mismatch.status_code == 422
    assert "两次输入的新密码不一致" in mismatch.text
    changed = newcomer.post(
        "/password",
        {"current_password": password, "new_password": NEW_PASSWORD, "repeated": NEW_PASSWORD},
    )
    assert changed.status_code == 303, changed.text
    assert newcomer.get("/").status_code == 200  # the same session goes on


def test_refusals_are_shown_in_chinese_and_change_nothing(
    server: Server, county: County, api: Api
) -> None:
    admin = logged_in(server, county["admin"])
    own = admin.post(f"/people/{county['admin']}/deactivate", {"reason": "自己停用"})
    assert own.status_code == 403
    assert "不能在此修改自己的账号" in own.text
    blank = admin.post(f"/people/{county['cw']}/deactivate", {"reason": " "})
    assert blank.status_code == 422
    assert "请填写原因" in blank.text
    level = admin.post(
        f"/people/{county['cw']}/update",
        {"roles": ["caseworker"], "jurisdiction": county.township, "reason": "调动"},
    )
    assert level.status_code == 422
    assert "所选角色与该区域的层级不符" in level.text
    assert api.get("/auth/me", as_=county["cw"]).json()["jurisdictions"] == [county.village(1)]
    # Another county's user is not there at all.
    assert admin.get("/people/cw.lizhuang").status_code == 404


def test_a_deactivated_users_console_session_ends(server: Server, county: County) -> None:
    worker = logged_in(server, county["cw2"])
    assert worker.get("/").status_code == 200
    admin = logged_in(server, county["admin"])
    done = admin.post(f"/people/{county['cw2']}/deactivate", {"reason": "离职", "hand_to": ""})
    assert done.status_code == 303
    page = admin.get(f"/people/{county['cw2']}")
    assert "用户已停用" in page.text
    assert "重新启用" in page.text
    ended = worker.get("/")
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/login")


def test_people_pages_are_for_administrators_only(server: Server, county: County) -> None:
    for user in (county["ca"], county["au"], county["cw"]):
        page = logged_in(server, user)
        assert page.get("/people").status_code == 404
        assert page.get(f"/people/{county['cw']}").status_code == 404
