"""Recoveries 追回: money paid on a revoked case, to be got back from the household.

A recovery is opened per paid payout when a case is revoked; the finance officer records what
comes back until the balance is zero, and the recovery closes. Money is integer fen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.audit import service as audit_service
from service.auth.models import FINANCE_OFFICER, User, acting_roles
from service.clock import utcnow
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.masking import mask_text
from service.payouts.models import Payout
from service.recoveries.models import CLOSED, OPEN, Recovery, RecoveryPayment
from service.recoveries.schemas import PaymentCreate, PaymentRead, RecoveryRead
from service.regions import jurisdiction


async def open_for_payout(
    session: AsyncSession,
    *,
    case: Application,
    payout: Payout,
    reason: str,
    actor: User,
    role: str,
    amount_fen: int | None = None,
) -> Recovery:
    """Owe back what a payout paid (part of the caller's transaction): all of it, or
    ``amount_fen`` of it (a parent's share no longer owed after a life event)."""
    assert actor.id is not None
    assert payout.id is not None
    recovery = Recovery(
        application_id=payout.application_id,
        payout_id=payout.id,
        amount_due_fen=payout.amount_fen if amount_fen is None else amount_fen,
        recovered_fen=0,
        status=OPEN,
        reason=reason,
        opened_by=actor.id,
        opened_at=utcnow(),
    )
    session.add(recovery)
    await session.flush()
    audit_service.record(
        session,
        action="recovery_opened",
        actor=actor,
        role=role,
        region=case.village_code,
        application_id=case.id,
        after={
            "recovery_id": recovery.id,
            "payout_id": payout.id,
            "amount_due_fen": recovery.amount_due_fen,
        },
    )
    return recovery


# --- reading -----------------------------------------------------------------------------


@dataclass
class RecoveryQuery:
    status: str | None = None
    application_id: int | None = None
    cursor: int | None = None
    limit: int = 100


async def _payments_of(
    session: AsyncSession, recovery_ids: list[int]
) -> dict[int, list[PaymentRead]]:
    if not recovery_ids:
        return {}
    statement = (
        select(RecoveryPayment, User.username)
        .join(User, col(User.id) == RecoveryPayment.recorded_by)
        .where(col(RecoveryPayment.recovery_id).in_(recovery_ids))
        .order_by(col(RecoveryPayment.id))
    )
    by_recovery: dict[int, list[PaymentRead]] = defaultdict(list)
    for payment, username in (await session.exec(statement)).all():
        assert payment.id is not None
        by_recovery[payment.recovery_id].append(
            PaymentRead(
                id=payment.id,
                amount_fen=payment.amount_fen,
                reference=mask_text(payment.reference),
                recorded_by=username,
                recorded_at=payment.recorded_at,
            )
        )
    return by_recovery


async def _views(session: AsyncSession, recoveries: list[Recovery]) -> list[RecoveryRead]:
    payments = await _payments_of(session, [r.id for r in recoveries if r.id is not None])
    views = []
    for recovery in recoveries:
        assert recovery.id is not None
        views.append(
            RecoveryRead(
                **recovery.model_dump(exclude={"reason", "opened_by"}),
                balance_fen=recovery.amount_due_fen - recovery.recovered_fen,
                # Typed by the approver: ID or card numbers in it leave masked, like the trail.
                reason=mask_text(recovery.reason),
                payments=payments.get(recovery.id, []),
            )
        )
    return views


async def list_recoveries(
    session: AsyncSession, *, user: User, query: RecoveryQuery
) -> list[RecoveryRead]:
    """Recoveries of cases in the caller's jurisdiction, newest first."""
    statement = (
        select(Recovery)
        .join(Application, col(Application.id) == Recovery.application_id)
        .where(jurisdiction.visible_to(user))  # where its case is visible
    )
    if query.status:
        statement = statement.where(Recovery.status == query.status)
    if query.application_id is not None:
        statement = statement.where(Recovery.application_id == query.application_id)
    if query.cursor:
        statement = statement.where(col(Recovery.id) < query.cursor)
    statement = statement.order_by(col(Recovery.id).desc()).limit(query.limit)
    return await _views(session, list((await session.exec(statement)).all()))


async def _get_visible(
    session: AsyncSession, *, user: User, recovery_id: int
) -> tuple[Recovery, str]:
    """The recovery and its case's village, if the caller sees the case."""
    statement = (
        select(Recovery, Application.village_code)
        .join(Application, col(Application.id) == Recovery.application_id)
        .where(Recovery.id == recovery_id, jurisdiction.visible_to(user))
    )
    row = (await session.exec(statement)).first()
    if row is None:
        raise NotFound(
            f"no recovery {recovery_id}",
            code="recovery-not-found",
            params={"recovery_id": recovery_id},
        )
    return row[0], row[1]


async def get(session: AsyncSession, *, user: User, recovery_id: int) -> RecoveryRead:
    recovery, _village = await _get_visible(session, user=user, recovery_id=recovery_id)
    (view,) = await _views(session, [recovery])
    return view


async def of_case(session: AsyncSession, application_id: int) -> list[RecoveryRead]:
    """The recoveries of a case the caller already sees (the case detail)."""
    statement = (
        select(Recovery).where(Recovery.application_id == application_id).order_by(col(Recovery.id))
    )
    return await _views(session, list((await session.exec(statement)).all()))


# --- recording what comes back ------------------------------------------------------------


async def _add_recovered(session: AsyncSession, *, recovery: Recovery, amount: int) -> None:
    # The guard is in the statement, not only in the caller's check: of two payments that
    # race, the database applies the second to the balance the first left, never below zero.
    added = await session.exec(
        update(Recovery)
        .where(
            col(Recovery.id) == recovery.id,
            col(Recovery.status) == OPEN,
            col(Recovery.recovered_fen) + amount <= col(Recovery.amount_due_fen),
        )
        .values(recovered_fen=col(Recovery.recovered_fen) + amount)
    )
    if added.rowcount != 1:
        raise Conflict(
            "the recovery changed meanwhile; reload and try again",
            code="recovery-changed-meanwhile",
        )
    await session.refresh(recovery)


async def record_payment(
    session: AsyncSession, *, user: User, recovery_id: int, body: PaymentCreate
) -> RecoveryRead:
    """Record an amount got back; at a zero balance the recovery closes."""
    assert user.id is not None
    recovery, village = await _get_visible(session, user=user, recovery_id=recovery_id)
    if FINANCE_OFFICER not in acting_roles(user):
        raise Forbidden(
            "only the finance officer records recovered money", code="recovery-finance-officer-only"
        )
    if recovery.status != OPEN:
        raise Conflict(
            f"recovery {recovery_id} is {recovery.status}; nothing more is owed",
            code="recovery-closed",
            params={"recovery_id": recovery_id, "status": recovery.status},
        )
    balance = recovery.amount_due_fen - recovery.recovered_fen
    if body.amount_fen > balance:
        raise InvalidInput(
            f"the amount exceeds the balance of {balance} fen",
            field="amount_fen",
            balance=balance,
            code="recovery-amount-exceeds-balance",
            params={"balance": balance},
        )
    await _add_recovered(session, recovery=recovery, amount=body.amount_fen)
    now = utcnow()
    payment = RecoveryPayment(
        recovery_id=recovery_id,
        amount_fen=body.amount_fen,
        reference=body.reference,
        recorded_by=user.id,
        recorded_at=now,
    )
    session.add(payment)
    balance = recovery.amount_due_fen - recovery.recovered_fen
    after = {"recovery_id": recovery_id, "amount_fen": body.amount_fen, "balance_fen": balance}
    _record(
        session,
        "recovery_payment_recorded",
        user=user,
        region=village,
        recovery=recovery,
        after={**after, "reference": body.reference},
    )
    if balance == 0:
        recovery.status, recovery.closed_at = CLOSED, now
        session.add(recovery)
        after = {"recovery_id": recovery_id, "recovered_fen": recovery.recovered_fen}
        _record(
            session, "recovery_closed", user=user, region=village, recovery=recovery, after=after
        )
    await session.flush()
    await audit_service.commit(session)
    return await get(session, user=user, recovery_id=recovery_id)


def _record(
    session: AsyncSession,
    action: str,
    *,
    user: User,
    recovery: Recovery,
    region: str,
    after: dict[str, Any],
) -> None:
    audit_service.record(
        session,
        action=action,
        actor=user,
        role=FINANCE_OFFICER,
        region=region,
        application_id=recovery.application_id,
        after=after,
    )
