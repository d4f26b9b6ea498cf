"""The outbox (issue 6): a message is written with the change that causes it, delivered by the
worker through a real HTTP SMS gateway at least once with its idempotency key, retried with
backoff, and given up as an incident an admin can retry. The person gets one message per
event however often delivery is tried, and two workers never send one message twice.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from service.masking import mask_id_number
from tests.conftest import ROOT, assert_problem
from tests.factories import application
from tests.notifications.conftest import BACKOFF_S, MAX_ATTEMPTS, Outbox, phone
from tests.notifications.gateway import TOKEN


def _body(number: str | None, **kwargs: object) -> dict:
    body = application(**kwargs)  # type: ignore[arg-type]
    if number:
        body["household"]["phone"] = number  # type: ignore[index]
    return body


def _masked(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def _received(outbox: Outbox, number: str) -> tuple[dict, dict]:
    """Submit a case with ``number``; the case and its one stored "received" message."""
    case = outbox.api.submit(_body(number))
    [message] = outbox.rows(case["id"], recipient_kind="applicant")
    assert message["event"] == "received"
    return case, message


def test_a_submission_writes_one_received_message_in_its_transaction(outbox: Outbox) -> None:
    number = phone()
    body = _body(number)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    response = outbox.api.post("/applications", as_="cw.lizhuang", json=body, headers=key)
    assert response.status_code == 201, response.text
    case = response.json()
    # A replayed submission returns the first case and writes no second message.
    replay = outbox.api.post("/applications", as_="cw.lizhuang", json=body, headers=key)
    assert (replay.status_code, replay.json()["id"]) == (200, case["id"])
    applicant_id = body["applicant"]["id_number"]  # type: ignore[index]
    assert case["household"]["phone"] == _masked(number)
    assert number not in outbox.api.get(f"/applications/{case['id']}", as_="au.county").text

    [message] = outbox.rows(case["id"], recipient_kind="applicant")
    assert message["event"] == "received"
    assert message["status"] == "pending"
    assert message["attempts"] == 0
    assert (message["recipient"], message["channel"]) == (number, "sms")
    assert message["idempotency_key"] == f"case{case['id']}:received"
    assert message["body"] == (
        f"【计生关怀】王*英，您申请的紧急慰藉（身份证{mask_id_number(applicant_id)}）已受理，"
        f"案件编号{case['id']}。"
    )
    # Staff hear of the new task in the same transaction: the caseworker of 李庄村.
    staff = outbox.rows(case["id"], recipient_kind="user")
    assert [(m["event"], m["recipient"], m["channel"]) for m in staff] == [
        ("task_assigned", "cw.lizhuang", "file")
    ]

    # Refused submissions write nothing: the same household again (409), an ineligible event.
    other = phone()
    again = {**body, "household": {**body["household"], "phone": other}}  # type: ignore[dict-item]
    assert_problem(outbox.api.post("/applications", as_="cw.lizhuang", json=again), 409)
    last_year = datetime.now(UTC).date().replace(year=datetime.now(UTC).year - 1, day=1)
    assert_problem(
        outbox.api.post(
            "/applications", as_="cw.lizhuang", json=_body(other, event_date=last_year)
        ),
        422,
    )
    with outbox.server.backend.engine.connect() as connection:
        written = connection.execute(
            sa.text("SELECT count(*) FROM notification WHERE recipient = :to"), {"to": other}
        ).scalar_one()
    assert written == 0


def test_phone_numbers_are_validated_and_optional(outbox: Outbox) -> None:
    for bad in ("12812345678", "1381234567", "138123456789", "+8613812345678", "138-1234-5678"):
        response = outbox.api.post("/applications", as_="cw.lizhuang", json=_body(bad))
        problem = assert_problem(response, 422, "invalid-input")
        assert bad not in response.text
        assert problem["errors"][0]["field"].endswith("phone")
    # No number: no message to the applicant, while staff are still told.
    case = outbox.api.submit(_body(None))
    assert case["household"]["phone"] is None
    assert outbox.rows(case["id"], recipient_kind="applicant") == []
    assert len(outbox.rows(case["id"], recipient_kind="user")) == 1


def test_the_worker_delivers_through_the_gateway_with_the_key(outbox: Outbox) -> None:
    number = phone()
    case, message = _received(outbox, number)
    done = outbox.work()
    assert done["notifications"] >= 2  # the applicant's SMS and the caseworker's notice

    key = f"case{case['id']}:received"
    [request] = outbox.gateway.requests_for(key)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["idempotency-key"] == key
    assert request.body == {"to": number, "text": message["body"], "idempotency_key": key}
    [stored] = outbox.rows(case["id"], recipient_kind="applicant")
    assert (stored["status"], stored["attempts"], stored["last_error"]) == ("sent", 1, None)
    assert stored["sent_at"] is not None

    # Staff notices go to the file sink, as JSON lines; a full number never does.
    lines = [line for line in outbox.file_lines() if line["application_id"] == case["id"]]
    assert [(line["event"], line["to"]) for line in lines] == [("task_assigned", "cw.lizhuang")]
    assert lines[0]["text"].startswith("【计生关怀】您有一项新的待办：村调查")
    assert number not in outbox.notify_file.read_text("utf-8")
    [notice] = outbox.rows(case["id"], recipient_kind="user")
    assert notice["status"] == "sent"
    # Nothing is left to do: a second round sends nothing more.
    assert outbox.work()["notifications"] == 0
    assert len(outbox.gateway.requests_for(key)) == 1


def test_without_a_gateway_applicants_messages_go_to_the_file_masked(outbox: Outbox) -> None:
    number = phone()
    case, _ = _received(outbox, number)
    outbox.work(RELIEF_SMS_URL="")
    lines = [line for line in outbox.file_lines() if line["application_id"] == case["id"]]
    assert {(line["recipient_kind"], line["to"]) for line in lines} == {
        ("applicant", _masked(number)),
        ("user", "cw.lizhuang"),
    }
    assert number not in outbox.notify_file.read_text("utf-8")
    assert outbox.gateway.requests_for(f"case{case['id']}:") == []


def test_a_dropped_answer_is_retried_after_the_backoff_and_the_person_gets_one_message(
    outbox: Outbox,
) -> None:
    number = phone()
    outbox.gateway.mode = "drop"  # the gateway takes the message, the sender hears nothing
    case, _ = _received(outbox, number)
    key = f"case{case['id']}:received"
    outbox.work()
    [stored] = outbox.rows(case["id"], recipient_kind="applicant")
    assert (stored["status"], stored["attempts"]) == ("pending", 1)
    assert "SMS gateway unreachable" in stored["last_error"]
    assert number not in stored["last_error"]
    assert len(outbox.gateway.requests_for(key)) == 1
    assert len(outbox.gateway.delivered_for(key)) == 1  # it did reach the phone

    outbox.gateway.mode = "ok"
    outbox.work()  # the pause is not over: no new try
    assert len(outbox.gateway.requests_for(key)) == 1
    outbox.advance(BACKOFF_S + 1)
    outbox.work()
    [stored] = outbox.rows(case["id"], recipient_kind="applicant")
    assert (stored["status"], stored["attempts"]) == ("sent", 2)
    # Sent twice with one key; the person's phone shows it once.
    requests = outbox.gateway.requests_for(key)
    assert len(requests) == 2
    assert {r.headers["idempotency-key"] for r in requests} == {key}
    assert len(outbox.gateway.delivered_for(key)) == 1


def test_a_failing_gateway_ends_in_an_incident_that_an_admin_retries(outbox: Outbox) -> None:
    number = phone()
    outbox.gateway.mode = "error"  # 500: the message did not go
    case, message = _received(outbox, number)
    key = f"case{case['id']}:received"
    outbox.work()
    for attempt in range(2, MAX_ATTEMPTS + 1):
        outbox.advance(BACKOFF_S * 2 ** (attempt - 2) + 1)
        outbox.work()
    [stored] = outbox.rows(case["id"], recipient_kind="applicant")
    assert (stored["status"], stored["attempts"]) == ("incident", MAX_ATTEMPTS)
    assert "500" in stored["last_error"]
    assert len(outbox.gateway.requests_for(key)) == MAX_ATTEMPTS
    assert outbox.gateway.delivered_for(key) == []
    outbox.advance(3600)
    outbox.work()  # an incident is not tried again by itself
    assert len(outbox.gateway.requests_for(key)) == MAX_ATTEMPTS

    api = outbox.api
    assert_problem(api.get("/incidents", as_="ca.county"), 403)
    response = api.get("/incidents", as_="admin", params={"status": "open"})
    assert response.status_code == 200, response.text
    [incident] = [i for i in response.json() if i["kind"] == "notification"
                  and i["ref_id"] == message["id"]]  # fmt: skip
    assert incident["application_id"] == case["id"]
    assert incident["attempts"] == MAX_ATTEMPTS
    assert "500" in incident["error"]
    assert number not in response.text

    outbox.gateway.mode = "ok"
    retried = api.post(f"/incidents/{incident['id']}/retry", as_="admin")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "retried"
    assert_problem(api.post(f"/incidents/{incident['id']}/retry", as_="admin"), 409)
    [stored] = outbox.rows(case["id"], recipient_kind="applicant")
    assert (stored["status"], stored["attempts"]) == ("pending", 0)
    outbox.work()
    [stored] = outbox.rows(case["id"], recipient_kind="applicant")
    assert stored["status"] == "sent"
    [delivered] = outbox.gateway.delivered_for(key)
    assert delivered["to"] == number
    assert [e["action"] for e in api.events(case["id"])].count("incident_retried") == 1


def _load(outbox: Outbox, application_id: int, number: str, count: int) -> str:
    """``count`` pending messages due now, straight into the outbox; their keys' prefix."""
    prefix = f"load-{uuid.uuid4().hex[:8]}"
    now = outbox.now()
    rows = [
        {
            "application_id": application_id,
            "event": "received",
            "recipient_kind": "applicant",
            "recipient": number,
            "channel": "sms",
            "body": f"【计生关怀】测试消息 {i}",
            "idempotency_key": f"{prefix}:{i}",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for i in range(count)
    ]
    columns = ", ".join(rows[0])
    values = ", ".join(f":{name}" for name in rows[0])
    with outbox.server.backend.engine.begin() as connection:
        connection.execute(sa.text(f"INSERT INTO notification ({columns}) VALUES ({values})"), rows)
    return prefix


def _two_workers(outbox: Outbox) -> list[int]:
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker", "--once"],
            cwd=ROOT,
            env=outbox.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    sent = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
        counts = dict(part.split("=") for part in out.strip().splitlines()[-1].split())
        sent.append(int(counts["notifications"]))
    return sent


def test_two_workers_send_each_message_exactly_once(outbox: Outbox) -> None:
    number = phone()
    case, _ = _received(outbox, number)
    count = 300  # a worker's round takes at most 100: two rounds of two workers
    prefix = _load(outbox, case["id"], number, count)
    outbox.gateway.delay = 0.02  # slow sends, so the two workers overlap
    first = _two_workers(outbox)
    assert first == [100, 100]  # a round's limit each
    assert outbox.gateway.most_in_flight >= 2  # the two workers were sending at the same time
    second = _two_workers(outbox)
    assert sum(second) >= count - 200  # the rest (and the case's own messages)

    sent = outbox.gateway.request_counts()
    mine = {key: n for key, n in sent.items() if key.startswith(prefix)}
    assert len(mine) == count
    assert set(mine.values()) == {1}  # no message was sent twice
    with outbox.server.backend.engine.connect() as connection:
        states = connection.execute(
            sa.text(
                "SELECT status, attempts, count(*) FROM notification "
                "WHERE idempotency_key LIKE :prefix GROUP BY status, attempts"
            ),
            {"prefix": prefix + ":%"},
        ).all()
    assert [tuple(row) for row in states] == [("sent", 1, count)]
