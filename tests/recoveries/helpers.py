"""Steps shared by the revocation and recovery tests."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from tests.conftest import VILLAGE_CHAIN, Api, Backend
from tests.factories import PDF

EC_AMOUNT_FEN = 300000  # emergency consolation: 3,000 CNY
REASON = "经查弄虚作假骗取扶助金"


def approve_through_county(api: Api, case_id: int) -> None:
    for user in VILLAGE_CHAIN:
        api.act(case_id, "approve", as_=user)


def pay(api: Api, case_id: int) -> None:
    api.act(case_id, "approve", as_="fo.county", data={"bank_reference": "BANK-2026-0001"})


def revoke(
    api: Api,
    case_id: int,
    *,
    as_: str = "ca.county",
    reason: str | None = REASON,
    files: list[tuple[str, bytes, str]] | None = None,
) -> httpx.Response:
    """POST the revocation form; ``files`` are (name, content, content type) evidence parts."""
    evidence = [("proof.pdf", PDF, "application/pdf")] if files is None else files
    return api.post(
        f"/applications/{case_id}/revoke",
        as_=as_,
        data={} if reason is None else {"reason": reason},
        files=[("evidence", item) for item in evidence],
    )


def revoked_paid_case(api: Api, case_id: int) -> dict:
    """Approve and pay a ready case, then revoke it; returns the case detail."""
    approve_through_county(api, case_id)
    pay(api, case_id)
    response = revoke(api, case_id)
    assert response.status_code == 200, response.text
    return response.json()


def state(backend: Backend, case_id: int) -> dict[str, object]:
    """What a refused request must leave unchanged: the case, its rows and its audit trail."""
    with backend.engine.connect() as connection:

        def scalar(sql: str) -> object:
            return connection.execute(sa.text(sql), {"id": case_id}).scalar_one()

        return {
            "status": scalar("SELECT status FROM application WHERE id = :id"),
            "version": scalar("SELECT version FROM application WHERE id = :id"),
            "documents": scalar("SELECT count(*) FROM document WHERE application_id = :id"),
            "recoveries": scalar("SELECT count(*) FROM recovery WHERE application_id = :id"),
            "recovered": scalar(
                "SELECT coalesce(sum(recovered_fen), 0) FROM recovery WHERE application_id = :id"
            ),
            "payments": scalar(
                "SELECT count(*) FROM recovery_payment p JOIN recovery r"
                " ON r.id = p.recovery_id WHERE r.application_id = :id"
            ),
            "ready_tasks": scalar(
                "SELECT count(*) FROM task WHERE application_id = :id AND status = 'ready'"
            ),
            "payouts": connection.execute(
                sa.text("SELECT status FROM payout WHERE application_id = :id ORDER BY id"),
                {"id": case_id},
            )
            .scalars()
            .all(),
            # Refusals of logged-in users are audit events by design (action_refused).
            "events": scalar(
                "SELECT count(*) FROM audit_event WHERE application_id = :id"
                " AND action <> 'action_refused'"
            ),
        }
