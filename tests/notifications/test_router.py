"""Reading the outbox: auditors and admins see who was told what, in their jurisdiction,
with applicants' numbers masked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from service.auth.models import User
from tests.conftest import _demo_password_hash, assert_problem
from tests.factories import application
from tests.notifications.conftest import Outbox, phone


def _auditor_of(outbox: Outbox, jurisdiction: str) -> str:
    username = f"t.auditor.{uuid.uuid4().hex[:10]}"
    with outbox.server.backend.engine.begin() as connection:
        connection.execute(
            User.__table__.insert().values(
                username=username,
                full_name="测试监督",
                password_hash=_demo_password_hash(),
                roles=["auditor"],
                jurisdiction=jurisdiction,
                active=True,
                created_at=datetime.now(UTC),
            )
        )
    return username


def test_supervision_reads_a_cases_messages_masked(outbox: Outbox) -> None:
    api, number = outbox.api, phone()
    body = application()
    body["household"]["phone"] = number  # type: ignore[index]
    case = api.submit(body)
    outbox.work()

    response = api.get("/notifications", as_="au.county", params={"application_id": case["id"]})
    assert response.status_code == 200, response.text
    assert number not in response.text
    page = response.json()
    assert page["next_cursor"] is None
    items = {item["recipient_kind"]: item for item in page["items"]}
    assert set(items) == {"applicant", "user"}
    applicant = items["applicant"]
    assert applicant["recipient"] == number[:3] + "****" + number[-4:]
    assert (applicant["event"], applicant["status"], applicant["attempts"]) == (
        "received",
        "sent",
        1,
    )
    assert items["user"]["recipient"] == "cw.lizhuang"

    admin = api.get("/notifications", as_="admin", params={"application_id": case["id"]})
    assert len(admin.json()["items"]) == 2
    sent = api.get("/notifications", as_="admin", params={"status": "sent", "limit": 1})
    assert len(sent.json()["items"]) == 1
    assert sent.json()["next_cursor"] is not None

    # Another township's auditor sees nothing of a 李庄村 case.
    elsewhere = _auditor_of(outbox, "130123200")
    response = api.get("/notifications", as_=elsewhere, params={"application_id": case["id"]})
    assert response.json()["items"] == []


def test_only_supervision_reads_the_outbox(outbox: Outbox) -> None:
    api = outbox.api
    assert_problem(api.get("/notifications", as_=None), 401)
    for user in ("cw.lizhuang", "ca.county", "fo.county"):
        assert_problem(api.get("/notifications", as_=user), 403)
    assert_problem(api.get("/notifications", as_="au.county", params={"status": "lost"}), 422)
    assert_problem(api.get("/notifications", as_="au.county", params={"limit": 501}), 422)
