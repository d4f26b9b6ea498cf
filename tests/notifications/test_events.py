"""Which changes tell whom (issue 6, 通知到人): the applicant hears of each step of their case,
the staff who may act hear of new tasks in their jurisdiction, and the level above hears of an
overdue step. Bodies carry masked details only.
"""

from __future__ import annotations

from datetime import datetime

from service.clock import set_clock
from service.masking import mask_id_number
from tests.factories import VILLAGE_HEKOU, application
from tests.notifications.conftest import Outbox, phone
from tests.programs.test_special_assistance import special
from tests.recoveries.helpers import approve_through_county, pay, revoke

LIZHUANG_STAFF = {"cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county", "fo.county"}


def _submit(outbox: Outbox, **kwargs: object) -> tuple[dict, dict]:
    """A case with a phone and every document; the case and what was submitted."""
    body = application(**kwargs)  # type: ignore[arg-type]
    body["household"]["phone"] = phone()  # type: ignore[index]
    case = outbox.api.submit(body, as_=_caseworker(body))
    outbox.api.attach_required(case["id"], as_=_caseworker(body))
    return case, body


def _caseworker(body: dict) -> str:
    return "cw.hekou" if body["village"] == VILLAGE_HEKOU else "cw.lizhuang"


def _applicant_events(outbox: Outbox, case_id: int) -> list[str]:
    return [m["event"] for m in outbox.rows(case_id, recipient_kind="applicant")]


def _assert_masked(outbox: Outbox, case_id: int, body: dict) -> None:
    """No full ID, card or phone number in any stored message of the case, nor in the file."""
    household = body["household"]
    secrets = [body["applicant"]["id_number"], household["bank_card"], household["phone"]]
    texts = [m["body"] for m in outbox.rows(case_id)]
    assert texts
    for text in texts:
        for secret in secrets:
            assert secret not in text
    sink = outbox.notify_file.read_text("utf-8") if outbox.notify_file.exists() else ""
    for secret in secrets:
        assert secret not in sink


def test_a_case_through_the_chain_tells_the_applicant_each_step(outbox: Outbox) -> None:
    api = outbox.api
    case, body = _submit(outbox)
    case_id = case["id"]
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")
    api.act(case_id, "return", as_="tr.dongcheng", comment="银行卡号有误")
    assert _applicant_events(outbox, case_id) == ["received", "returned"]
    # The correction gives a new number: later messages go there.
    first_number, new_number = body["household"]["phone"], phone()
    corrected = api.client.patch(
        f"/applications/{case_id}",
        json={"household": {"phone": new_number}},
        headers=api.headers("cw.lizhuang"),
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["household"]["phone"] == new_number[:3] + "****" + new_number[-4:]
    [event] = [e for e in api.events(case_id) if e["action"] == "application_corrected"]
    assert new_number not in str(event)
    api.act(case_id, "approve", as_="cw.lizhuang")  # corrected, up the chain again
    approve_through_county(api, case_id)  # village, village head, township, county
    pay(api, case_id)
    assert api.case(case_id)["status"] == "paid"
    assert _applicant_events(outbox, case_id) == ["received", "returned", "approved", "paid"]

    messages = {m["event"]: m for m in outbox.rows(case_id, recipient_kind="applicant")}
    masked_id = mask_id_number(body["applicant"]["id_number"])
    last4 = body["household"]["bank_card"][-4:]
    assert messages["returned"]["body"] == (
        f"【计生关怀】王*英，您申请的紧急慰藉（身份证{masked_id}）需要补正材料，"
        f"请与村计生专干联系，案件编号{case_id}。"
    )
    assert "¥3,000.00将发放到您尾号" + last4 in messages["approved"]["body"]
    assert "¥3,000.00已发放到您尾号" + last4 in messages["paid"]["body"]

    # The worker delivers each once, through the gateway, to the applicant's number.
    outbox.work()
    for event, number in (
        ("received", first_number),
        ("returned", first_number),
        ("approved", new_number),
        ("paid", new_number),
    ):
        [delivered] = outbox.gateway.delivered_for(f"case{case_id}:{event}")
        assert delivered["to"] == number
        assert delivered["text"] == messages[event]["body"]
    _assert_masked(outbox, case_id, body)
    _assert_masked(
        outbox, case_id, {**body, "household": {**body["household"], "phone": new_number}}
    )


def test_new_tasks_are_told_to_the_staff_who_may_act_on_them(outbox: Outbox) -> None:
    api = outbox.api
    case, body = _submit(outbox)
    case_id = case["id"]
    approve_through_county(api, case_id)
    pay(api, case_id)
    staff = outbox.rows(case_id, recipient_kind="user")
    assert {m["event"] for m in staff} == {"task_assigned"}
    assert {m["channel"] for m in staff} == {"file"}
    # One notice per task, to each user who holds the lane's role over 李庄村 (the demo has
    # one per role): not the other villages' or township's staff, not the auditor or admin.
    assert [m["recipient"] for m in staff] == [
        "cw.lizhuang",
        "vh.lizhuang",
        "tr.dongcheng",
        "ca.county",
        "fo.county",
    ]
    assert "村调查" in staff[0]["body"]
    assert all(f"案件编号{case_id}" in m["body"] and "李庄村" in m["body"] for m in staff)

    # A case of 河口村 (西河乡) goes to that village's and township's staff instead.
    other, other_body = _submit(outbox, village=VILLAGE_HEKOU)
    api.act(other["id"], "approve", as_="cw.hekou")
    api.act(other["id"], "approve", as_="vh.hekou")
    recipients = [m["recipient"] for m in outbox.rows(other["id"], recipient_kind="user")]
    assert recipients == ["cw.hekou", "vh.hekou", "tr.xihe"]

    # The file sink gets the staff notices; the person's number never reaches it.
    outbox.work()
    lines = [line for line in outbox.file_lines() if line["application_id"] == case_id]
    assert sorted(line["to"] for line in lines) == sorted(LIZHUANG_STAFF)
    assert {line["recipient_kind"] for line in lines} == {"user"}
    _assert_masked(outbox, case_id, body)
    _assert_masked(outbox, other["id"], other_body)


def test_rejection_and_revocation_tell_the_applicant(outbox: Outbox) -> None:
    api = outbox.api
    rejected, _ = _submit(outbox)
    api.act(rejected["id"], "approve", as_="cw.lizhuang")
    api.act(rejected["id"], "approve", as_="vh.lizhuang")
    api.act(rejected["id"], "reject", as_="tr.dongcheng", comment="不符合条件")
    assert _applicant_events(outbox, rejected["id"]) == ["received", "rejected"]
    [message] = outbox.rows(rejected["id"], event="rejected")
    assert "未获批准" in message["body"]

    revoked, body = _submit(outbox)
    approve_through_county(api, revoked["id"])
    pay(api, revoked["id"])
    response = revoke(api, revoked["id"])
    assert response.status_code == 200, response.text
    events = _applicant_events(outbox, revoked["id"])
    assert events == ["received", "approved", "paid", "revoked"]
    [message] = outbox.rows(revoked["id"], event="revoked")
    assert "取消资格" in message["body"]
    _assert_masked(outbox, revoked["id"], body)


def _task(outbox: Outbox, case_id: int, *, as_: str) -> dict:
    return outbox.api.task_for(case_id, as_=as_)


def test_an_overdue_step_is_told_to_the_level_above(outbox: Outbox) -> None:
    api = outbox.api
    start = outbox.now()
    try:
        case, body = _submit(outbox)
        case_id = case["id"]
        investigation = _task(outbox, case_id, as_="cw.lizhuang")
        due = datetime.fromisoformat(investigation["due_at"])
        outbox.advance((due - outbox.now()).total_seconds() + 60)
        outbox.work()
        # The caseworker's step is late: the village head is told (督办), nobody else.
        [late] = outbox.rows(case_id, event="overdue")
        assert late["recipient"] == "vh.lizhuang"
        assert late["status"] == "sent"  # the same round delivered it
        assert late["body"].startswith(f"【计生关怀】督办：李庄村案件编号{case_id}（紧急慰藉")
        assert "村调查" in late["body"]
        assert "村计生专干" in late["body"]
        assert outbox.work()["notifications"] == 0  # once

        # The township's step, late in its turn: the county approver is told.
        api.act(case_id, "approve", as_="cw.lizhuang")
        api.act(case_id, "approve", as_="vh.lizhuang")
        review = _task(outbox, case_id, as_="tr.dongcheng")
        due = datetime.fromisoformat(review["due_at"])
        outbox.advance((due - outbox.now()).total_seconds() + 60)
        outbox.work()
        overdue = outbox.rows(case_id, event="overdue")
        assert [m["recipient"] for m in overdue] == ["vh.lizhuang", "ca.county"]
        assert "乡镇计生办" in overdue[1]["body"]
        _assert_masked(outbox, case_id, body)
    finally:
        # Later tests submit with today's date: time goes back to where it was.
        set_clock(outbox.clock, start)


def test_special_assistance_tells_of_enrolment_each_year_s_payment_and_the_end(
    outbox: Outbox,
) -> None:
    api = outbox.api
    body = special()
    body["household"]["phone"] = phone()
    case = api.submit(body)
    case_id = case["id"]
    for kind in case["required_documents"]:
        assert api.attach(case_id, kind).status_code == 201
    for user in ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county"):
        api.act(case_id, "approve", as_=user)
    assert _applicant_events(outbox, case_id) == ["received", "enrolled"]

    response = api.post("/payouts/yearly", as_="fo.county", json={"year": 2026})
    assert response.status_code == 200, response.text
    payout = next(
        p
        for p in api.case(case_id)["payouts"]
        if p["period"] == "2026" and p["payee"] == "household"
    )
    paid = api.post(f"/payouts/{payout['id']}/pay", as_="fo.county", json={"bank_reference": "S1"})
    assert paid.status_code == 200, paid.text
    [message] = outbox.rows(case_id, event="paid")
    assert message["idempotency_key"] == f"payout{payout['id']}:paid"
    amount = f"{payout['amount_fen'] // 100:,}.{payout['amount_fen'] % 100:02d}"
    assert f"2026年度扶助金¥{amount}已发放到您尾号" in message["body"]

    assert api.post("/reviews/yearly", as_="ca.county", json={"year": 2027}).status_code == 200
    ended = api.act(case_id, "reject", as_="cw.lizhuang", comment="父母均已去世")
    assert ended["status"] == "ended"
    assert _applicant_events(outbox, case_id) == ["received", "enrolled", "paid", "ended"]
    [message] = outbox.rows(case_id, event="ended")
    assert "经年审终止" in message["body"]
    outbox.work()
    assert len(outbox.gateway.delivered_for(f"case{case_id}:")) == 3  # received, enrolled, ended
    assert len(outbox.gateway.delivered_for(f"payout{payout['id']}:")) == 1
    _assert_masked(outbox, case_id, body)
