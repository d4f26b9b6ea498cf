"""The case page makes decisions clear and safe (issue 20): the facts and the amount before
the form, no choice made for the user, a reason for a reject or a return, what happens next,
the relation flag, a timeline of real changes, on both databases."""

from __future__ import annotations

import re

from tests.conftest import VILLAGE_CHAIN, Api, Server
from tests.factories import PDF, application, id_number
from tests.programs.test_special_assistance import special
from tests.web import pages
from tests.web.pages import Page, logged_in

FULL_ID_OR_CARD = re.compile(r"(?<!\d)\d{16,19}(?!\d)|(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
CASE_AMOUNT = re.compile(r'<dd id="case-amount" class="money">(.*?)</dd>', re.DOTALL)
EC_AMOUNT = "¥3,000.00"  # emergency consolation, once (workflows/programs.yaml)


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def _with_sex(female: bool) -> str:
    """A resident ID number whose 17th digit records the sex asked for."""
    while True:
        number = id_number()
        if (int(number[16]) % 2 == 0) == female:
            return number


def _decide(page: Page, case_id: int, decision: str, comment: str = "") -> str:
    html = page.get(f"/applications/{case_id}").text
    response = page.post(
        f"/applications/{case_id}/decision",
        {"task_id": pages.task_id(html), "decision": decision, "comment": comment},
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


# --- order, amount, choices ------------------------------------------------------------------


def test_the_facts_and_the_amount_come_before_an_unmade_choice(
    server: Server, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    html = logged_in(server, "cw.lizhuang").get(f"/applications/{case_id}").text
    order = [
        html.index('id="applicant-title"'),
        html.index('id="documents-title"'),
        html.index('id="case-amount"'),
        html.index('id="decision-title"'),
        html.index('id="flow-title"'),  # the diagram: below the facts and the form
        html.index('id="timeline-title"'),
    ]
    assert order[0] < order[1]
    assert order[2] < order[3] < order[4] < order[5]
    assert order[2] < order[1]  # the amount is among the applicant's facts
    amount = CASE_AMOUNT.search(html)
    assert amount
    assert EC_AMOUNT in amount.group(1)
    form = html[
        html.index('<form id="decision"') : html.index("</form>", html.index('<form id="decision"'))
    ]
    radios = re.findall(r'<input type="radio" name="decision" value="(\w+)"[^>]*>', form)
    assert radios == ["approve", "reject", "return"]
    assert " checked" not in form  # 同意 is not chosen for the user
    assert 'src="/static/js/decision.js" defer' in html
    # The comment's hint names the choices that need a reason, as the task calls them.
    assert "选择“驳回”、“退回补正”时，须填写申请人能看懂的理由。" in form
    # The reject asks for confirmation (decision.js), naming the choice as the task does.
    assert re.search(r'value="reject"[^>]*data-confirm-text="驳回：', form)


# The demo catalogue's base standard for a child's death, per person and year (programs.yaml).
STANDARD_FEN = {2025: 720000, 2026: 780000, 2027: 820000}


def test_a_yearly_program_shows_the_sum_of_a_year_and_who_receives_it(
    server: Server, api: Api
) -> None:
    page = pages.english(logged_in(server, "cw.lizhuang"))
    for spouse, who, parents in ((True, "for both parents", 2), (False, "for the applicant", 1)):
        case_id = api.submit(special(spouse=spouse))["id"]
        amount = CASE_AMOUNT.search(page.get(f"/applications/{case_id}").text)
        assert amount
        shown = re.sub(r"<[^>]+>", "", amount.group(1))
        year = re.search(r"a year \((\d{4})\)", shown)
        assert year, shown
        # Each parent: 2 × the year's standard. The county's premium of ¥1,000.00 per parent
        # goes to the pension fund, not to the family: it is not in the family's sum.
        fen = parents * 2 * STANDARD_FEN[int(year.group(1))]
        assert f"¥{fen // 100:,}.00" in shown
        assert who in shown


def test_the_finance_officer_sees_the_amount_and_the_card_masked(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    for user in VILLAGE_CHAIN:  # the shared server's notices end at once
        api.act(case_id, "approve", as_=user)
    page = pages.english(logged_in(server, "fo.county"))
    html = page.get(f"/applications/{case_id}").text
    pay = html[html.index('id="pay-title"') : html.index("</div>", html.index('id="pay-title"'))]
    assert EC_AMOUNT in pay
    assert api.case(case_id)["household"]["bank_card"] in pay  # masked as the API shows it
    assert "*" in api.case(case_id)["household"]["bank_card"]
    assert FULL_ID_OR_CARD.search(pages.visible_text(html)) is None
    assert html.index('id="pay-title"') < html.index('<form id="decision"')
    # The payout task's own choices; the bank's reference is needed to say it is paid.
    assert [code for code, _label in _choices(html)] == ["approve", "return"]
    assert "needed to choose “Paid”" in html


def test_a_reject_or_return_without_a_reason_is_refused_and_changes_nothing(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    page = pages.english(logged_in(server, "cw.lizhuang"))
    task_id = pages.task_id(page.get(f"/applications/{case_id}").text)
    for decision, comment in (("reject", ""), ("return", "   ")):
        response = page.post(
            f"/applications/{case_id}/decision",
            {"task_id": task_id, "decision": decision, "comment": comment},
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/applications/{case_id}"
        shown = page.get(f"/applications/{case_id}").text
        assert "need a reason" in pages.flash(shown)
        assert 'id="what-next-title"' not in shown
    # A decision the task does not offer (a forged form) is refused as well.
    page.post(f"/applications/{case_id}/decision", {"task_id": task_id, "decision": "maybe"})
    assert pages.flash(page.get(f"/applications/{case_id}").text) == (
        "Choose one of the decisions the task offers."
    )
    case = api.case(case_id)
    assert case["status"] == "in_progress"
    assert case["tasks"][0]["id"] == int(task_id)
    assert not [e for e in api.events(case_id) if e["action"] == "task_completed"]


def _choices(html: str) -> list[tuple[str, str]]:
    """The decision form's choices: (code, the label's words)."""
    form = html[html.index('<form id="decision"') :]
    return [
        (code, label.strip())
        for code, label in re.findall(
            r'<input type="radio" name="decision" value="(\w+)"[^>]*>([^<]*)</label>', form
        )
    ]


def test_the_correction_task_offers_resubmit_with_what_it_does(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "return", as_="vh.lizhuang", comment="缺少村委会证明")
    page = pages.english(logged_in(server, "cw.lizhuang"))
    html = page.get(f"/applications/{case_id}").text
    assert _choices(html) == [("approve", "Resubmit"), ("reject", "Abandon the application")]
    assert "goes back to the village investigation" in html  # the choice's hint
    assert 'id="decision-title">Your task: Correction' in html
    location = _decide(page, case_id, "approve")
    panel = _section(page.get(location).text, "what-next-title")
    assert "Your decision: Resubmit" in panel
    assert "The case goes to: Village investigation（Village caseworker）" in panel
    # The timeline says the decision as the task calls it.
    assert "Task completed · Correction · Resubmit" in _timeline_cells(page.get(location).text)


# --- what happens next -------------------------------------------------------------------------


def test_after_a_decision_the_page_says_what_happens_next_and_links_the_next_task(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    caseworker = pages.english(logged_in(server, "cw.lizhuang"))
    location = _decide(caseworker, case_id, "approve")
    assert location.startswith(f"/applications/{case_id}?decided=")
    html = caseworker.get(location).text
    panel = _section(html, "what-next-title")
    assert "Approve" in panel
    assert "The case goes to:" in panel
    assert "Village committee chair" in panel  # the open task's role, by name
    inbox = api.get("/tasks", as_="cw.lizhuang").json()
    link = re.search(r'id="next-task" href="([^"]+)"', panel)
    assert link
    assert link.group(1) == (f"/applications/{inbox[0]['application_id']}" if inbox else "/")
    # The panel is the decider's: another user, or the page without the query, shows none.
    other = pages.english(logged_in(server, "vh.lizhuang")).get(location).text
    assert 'id="what-next-title"' not in other
    assert 'id="what-next-title"' not in caseworker.get(f"/applications/{case_id}").text

    head = pages.english(logged_in(server, "vh.lizhuang"))
    html = head.get(_decide(head, case_id, "return", "缺少村委会证明")).text
    assert "goes back to the village caseworker" in _section(html, "what-next-title")

    location = _decide(caseworker, case_id, "reject", "家属放弃申请")
    html = caseworker.get(location).text
    assert "closed and the applicant is told why" in _section(html, "what-next-title")
    assert api.case(case_id)["status"] == "rejected"


# --- relation and the ID number's sex ------------------------------------------------------------


def test_a_father_with_a_womans_id_number_is_flagged_not_refused(server: Server, api: Api) -> None:
    flagged = application(applicant_id=_with_sex(female=True))
    flagged["relation"] = "father"
    fitting = application(applicant_id=_with_sex(female=True))
    fitting["relation"] = "mother"
    page = pages.english(logged_in(server, "cw.lizhuang"))
    html = page.get(f"/applications/{api.submit(flagged)['id']}").text
    assert 'class="flash-info relation-flag"' in html
    assert "records the other sex" in html
    html = page.get(f"/applications/{api.submit(fitting)['id']}").text
    assert "relation-flag" not in html


# --- eligibility in the page's language ----------------------------------------------------------


def test_the_eligibility_line_speaks_the_pages_language(server: Server, api: Api) -> None:
    case_id = api.submit()["id"]  # no certificate: the village confirms it (review)
    page = logged_in(server, "cw.lizhuang")
    line = _section(page.get(f"/applications/{case_id}").text + "</section>", "eligibility")
    line = line[: line.index("</dd>")]
    assert 'data-eligibility="review"' in line
    assert "需村核实" in line
    assert "the village confirms" not in line
    assert ">review<" not in line
    line = _section(pages.english(page).get(f"/applications/{case_id}").text, "eligibility")
    line = line[: line.index("</dd>")]
    assert "the village confirms" in line
    assert "需村核实" not in line


# --- the timeline ------------------------------------------------------------------------------


def _timeline_cells(html: str) -> list[str]:
    timeline = _section(html, "timeline")
    rows = re.findall(r"<tr>\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>", timeline, re.DOTALL)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", row)).strip() for row in rows]


def test_the_timeline_names_documents_and_shows_only_real_changes(
    server: Server, api: Api, ready_case: dict
) -> None:
    case_id = ready_case["id"]
    for user in VILLAGE_CHAIN:
        api.act(case_id, "approve", as_=user)
    api.act(case_id, "approve", as_="fo.county", data={"bank_reference": f"BOC-{case_id}"})
    assert api.case(case_id)["status"] == "paid"
    html = pages.english(logged_in(server, "cw.lizhuang")).get(f"/applications/{case_id}").text
    cells = _timeline_cells(html)
    assert "Document added · Death certificate（death_certificate.pdf）" in cells
    for cell in cells:
        if "→" in cell:
            before, after = cell.rsplit("：", 1)[-1].split(" → ")
            assert before != after, cell
    changes = [cell.rsplit("：", 1)[-1] for cell in cells if "→" in cell]
    assert len(changes) == len(set(changes)), cells  # each change of status shown once
    assert "Task completed · County verification · Approve" in cells  # the step, by name
    payout_cells = [cell for cell in cells if cell.startswith("Payout")]
    assert payout_cells
    assert all(EC_AMOUNT in cell and "→" not in cell for cell in payout_cells)


def test_an_upload_answers_the_timeline_out_of_band(server: Server, api: Api) -> None:
    case_id = api.submit()["id"]
    page = pages.english(logged_in(server, "cw.lizhuang"))
    page.get(f"/applications/{case_id}")
    response = page.client.post(
        f"/applications/{case_id}/documents",
        data={"csrf_token": page.csrf, "kind": "hukou"},
        files={"file": ("户口簿.pdf", PDF, "application/pdf")},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200, response.text
    assert '<section id="documents"' in response.text
    assert 'hx-swap-oob="true"' in _section(response.text, "timeline")
    assert "Document added · Household register（户口簿.pdf）" in _timeline_cells(response.text)
    # On the page itself the timeline is in its place, not swapped.
    assert "hx-swap-oob" not in page.get(f"/applications/{case_id}").text
