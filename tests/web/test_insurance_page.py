"""平安保障 (/insurance) in the console, in Chinese: the finance officer makes the year's batch,
a county approver approves it, the finance officer types in the insurer's policy numbers; the
households' ID numbers are shown masked; other roles get the 404 page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.attack.rules import COUNTY_KEY, PAGES, ROLES
from tests.conftest import Api, Backend, MakeUser, Server
from tests.fresh_county import County, make_county
from tests.insurance.helpers import enrol, this_year
from tests.web.pages import flash, logged_in


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def _batch_id(html: str) -> str:
    match = re.search(r'action="/insurance/batches/(\d+)/decision"', html)
    assert match, "the page shows no decision form"
    return match.group(1)


def test_a_batch_is_made_approved_and_its_policies_recorded_in_the_console(
    server: Server, api: Api, backend: Backend, county: County
) -> None:
    case = enrol(api, county)
    with backend.engine.connect() as connection:
        full_id = connection.execute(
            sa.text("SELECT applicant_id_number FROM application WHERE id = :id"),
            {"id": case["id"]},
        ).scalar_one()
    finance = logged_in(server, county["fo"])
    shown = finance.get("/insurance")
    assert shown.status_code == 200
    assert "平安保障" in shown.text
    assert "尚未投保的家庭" in shown.text
    assert full_id not in shown.text
    assert full_id[:4] + "*" in shown.text
    made = finance.post("/insurance/batches", {"year": str(this_year())})
    assert made.status_code == 303, made.text
    after = finance.get(made.headers["location"]).text
    assert "投保清单已生成" in flash(after)
    assert "待县级审批" in after

    approver = logged_in(server, county["ca"])
    page = approver.get("/insurance").text
    batch_id = _batch_id(page)
    no_reason = approver.post(f"/insurance/batches/{batch_id}/decision", {"decision": "reject"})
    assert no_reason.status_code == 422
    assert "请填写退回投保清单的理由" in no_reason.text
    approved = approver.post(f"/insurance/batches/{batch_id}/decision", {"decision": "approve"})
    assert approved.status_code == 303, approved.text
    assert "投保清单已批准" in flash(approver.get("/insurance").text)

    finance.get("/insurance")
    bad = finance.post(f"/insurance/batches/{batch_id}/policies", {f"policy-{case['id']}": "保单"})
    assert bad.status_code == 422
    assert "请按保险公司出具的保单号填写" in bad.text
    recorded = finance.post(
        f"/insurance/batches/{batch_id}/policies", {f"policy-{case['id']}": "PAB-2026-000777"}
    )
    assert recorded.status_code == 303, recorded.text
    final = finance.get("/insurance").text
    assert "保单号已登记" in flash(final)
    assert "PAB-2026-000777" in final
    assert "已投保" in final
    batch = api.get(f"/insurance/batches/{batch_id}", as_=county["au"]).json()
    assert [p["policy_no"] for p in batch["policies"]] == ["PAB-2026-000777"]

    # The case page tells the household's policy number, to the village too (no batch link:
    # the caseworker has no /insurance page).
    for key, links in (("ca", True), ("cw", False)):
        case_page = logged_in(server, county[key]).get(f"/applications/{case['id']}").text
        section = case_page.split('id="insurance"', 1)[1].split("</section>", 1)[0]
        assert "平安保障" in section
        assert "PAB-2026-000777" in section
        assert "已投保" in section
        assert (f"#insurance-batch-{batch_id}" in section) is links, key


def test_the_maker_of_a_batch_is_not_offered_its_approval(
    server: Server, api: Api, county: County, make_user: MakeUser
) -> None:
    enrol(api, county)
    both = make_user(["finance_officer", "county_approver"], county.code)
    page = logged_in(server, both)
    assert page.post("/insurance/batches", {"year": str(this_year())}).status_code == 303
    shown = page.get("/insurance").text
    assert "本清单由您制作，须由另一位县级审批人审批" in shown
    assert "/decision" not in shown  # no approval form for the batch they made


def test_only_the_county_s_finance_approver_and_auditor_have_the_page(
    server: Server, county: County
) -> None:
    for role in ROLES:
        page = logged_in(server, county[COUNTY_KEY[role]])
        allowed = role in PAGES[("GET", "/insurance")].roles
        assert page.get("/insurance").status_code == (200 if allowed else 404), role
        may_make = role in PAGES[("POST", "/insurance/batches")].roles
        posted = page.post("/insurance/batches", {"year": str(this_year())})
        assert (posted.status_code != 404) is may_make, (role, posted.status_code)


def test_the_insurer_s_list_is_downloaded_and_its_answer_uploaded_in_the_console(
    server: Server, api: Api, county: County
) -> None:
    case = enrol(api, county)
    batch = api.post("/insurance/batches", as_=county["fo"], json={"year": this_year()}).json()
    decided = api.post(
        f"/insurance/batches/{batch['id']}/decision",
        as_=county["ca"],
        json={"decision": "approve"},
    )
    assert decided.status_code == 200, decided.text
    finance = logged_in(server, county["fo"])
    page = finance.get("/insurance").text
    assert "下载投保清单（Excel）" in page
    listed = finance.get(
        f"/insurance/batches/{batch['id']}/list?format=csv",
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert listed.status_code == 200, listed.text
    assert listed.content.decode("utf-8-sig").startswith("序号,户编号")
    refused = finance.post(
        f"/insurance/batches/{batch['id']}/policy-file",
        files={"file": ("answer.csv", b"a,b\n", "text/csv")},
    )
    assert refused.status_code == 422
    answer = f"户编号,保单号\n{case['id']},PAB-WEB-0001\n".encode("utf-8-sig")
    posted = finance.post(
        f"/insurance/batches/{batch['id']}/policy-file",
        files={"file": ("answer.csv", answer, "text/csv")},
    )
    assert posted.status_code == 303, posted.text
    after = finance.get("/insurance").text
    assert "保单号已登记" in flash(after)
    assert "PAB-WEB-0001" in after
