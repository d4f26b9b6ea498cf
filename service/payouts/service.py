"""Payouts: what a case owes the household's card, created at approval, marked paid once.

Every change of a payout is an audit event, so the trail proves the money as well as the
decisions: how much, to which case, by whom, with the bank's reference.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service import idempotency
from service.applications.models import Application
from service.audit import service as audit_service
from service.auth.models import FINANCE_OFFICER, User
from service.clock import utcnow
from service.errors import Conflict, NotFound, PayoutInBatch
from service.notifications import service as notifications_service
from service.payouts import batches, county_amounts
from service.payouts.models import (
    CANCELLED,
    ONCE,
    PAID,
    PAYEE_HOUSEHOLD,
    PENDING,
    Payout,
    PayoutPerson,
)
from service.payouts.schemas import PayoutListItem, PayoutPersonRead
from service.programs.models import Program


async def for_application(
    session: AsyncSession, application_id: int, period: str = ONCE, payee: str = PAYEE_HOUSEHOLD
) -> Payout | None:
    """The case's payout of a period to a payee (by default the household's card)."""
    statement = select(Payout).where(
        Payout.application_id == application_id,
        Payout.period == period,
        Payout.payee == payee,
    )
    return (await session.exec(statement)).first()


async def persons_of(session: AsyncSession, payout_ids: list[int]) -> dict[int, list[PayoutPerson]]:
    """The per-person lines of payouts (the pension premium's insured parents), in order."""
    if not payout_ids:
        return {}
    statement = (
        select(PayoutPerson)
        .where(col(PayoutPerson.payout_id).in_(payout_ids))
        .order_by(col(PayoutPerson.payout_id), col(PayoutPerson.line_no))
    )
    lines: dict[int, list[PayoutPerson]] = {}
    for line in (await session.exec(statement)).all():
        lines.setdefault(line.payout_id, []).append(line)
    return lines


async def items(session: AsyncSession, payouts: list[Payout]) -> list[PayoutListItem]:
    """Payouts as the API lists them: with their per-person lines, IDs masked."""
    lines = await persons_of(session, [payout.id for payout in payouts if payout.id is not None])
    listed = []
    for payout in payouts:
        item = PayoutListItem.model_validate(payout)
        item.persons = [PayoutPersonRead.model_validate(p) for p in lines.get(payout.id or 0, [])]
        listed.append(item)
    return listed


async def of_case(session: AsyncSession, application_id: int) -> list[Payout]:
    statement = (
        select(Payout).where(Payout.application_id == application_id).order_by(col(Payout.id))
    )
    return list((await session.exec(statement)).all())


def fixed_rule(program: Program) -> dict[str, object]:
    """The explanation of a one-time amount: the catalogue's fixed amount for the program."""
    return {"rule": "fixed", "program": program.code, "amount_fen": program.amount_fen}


def record_event(
    session: AsyncSession,
    action: str,
    *,
    case: Application,
    payout: Payout,
    actor: User | None,
    role: str | None,
) -> None:
    """A payout's event; ``actor`` None: the worker moved the case (a flow's timer)."""
    audit_service.record(
        session,
        action=action,
        actor=actor,
        actor_name=None if actor else "worker",
        role=role,
        region=case.village_code,
        application_id=case.id,
        after={
            "payout_id": payout.id,
            "amount_fen": payout.amount_fen,
            "period": payout.period,
            "status": payout.status,
            "bank_reference": payout.bank_reference,
        },
    )


async def ensure_pending(
    session: AsyncSession,
    *,
    case: Application,
    program: Program,
    actor: User | None,
    role: str | None,
) -> Payout:
    """The pending payout of an approved one-time case (at most one: unique per case)."""
    assert case.id is not None
    payout = await for_application(session, case.id)
    if payout is not None and payout.status in (PENDING, PAID):
        return payout
    if payout is None:
        # A program whose amount the county sets: that county's amount of the year, never a
        # default (payouts/county_amounts.py); otherwise the catalogue's fixed amount.
        amount_fen, rule = await county_amounts.owed(session, case=case, program=program) or (
            program.amount_fen,
            fixed_rule(program),
        )
        payout = Payout(
            application_id=case.id,
            period=ONCE,
            amount_fen=amount_fen,
            rule=rule,
            status=PENDING,
            created_at=utcnow(),
        )
    payout.status = PENDING
    session.add(payout)
    await session.flush()
    record_event(session, "payout_pending", case=case, payout=payout, actor=actor, role=role)
    return payout


async def cancel_pending(
    session: AsyncSession, *, case: Application, actor: User | None, role: str | None
) -> None:
    """A case that goes back or ends before payment owes nothing until approved again."""
    assert case.id is not None
    payout = await for_application(session, case.id)
    if payout is not None and payout.status == PENDING:
        payout.status = CANCELLED
        session.add(payout)
        record_event(session, "payout_cancelled", case=case, payout=payout, actor=actor, role=role)


async def mark_paid(
    session: AsyncSession, *, case: Application, program: Program, actor: User, reference: str
) -> Payout:
    payout = await ensure_pending(
        session, case=case, program=program, actor=actor, role=FINANCE_OFFICER
    )
    payout.status = PAID
    payout.bank_reference = reference
    payout.paid_at = utcnow()
    payout.paid_by = actor.id
    session.add(payout)
    record_event(
        session, "payout_paid", case=case, payout=payout, actor=actor, role=FINANCE_OFFICER
    )
    return payout


def _visible_to(user: User) -> Any:
    return col(Application.village_code).startswith(user.jurisdiction)


async def list_payouts(
    session: AsyncSession,
    *,
    user: User,
    status: str | None,
    period: str | None,
    application_id: int | None,
    limit: int,
) -> list[Payout]:
    """Payouts of cases in the caller's jurisdiction, newest first."""
    statement = select(Payout).join(Application, col(Application.id) == Payout.application_id)
    statement = statement.where(_visible_to(user))
    if status:
        statement = statement.where(Payout.status == status)
    if period:
        statement = statement.where(Payout.period == period)
    if application_id:
        statement = statement.where(Payout.application_id == application_id)
    statement = statement.order_by(col(Payout.id).desc()).limit(limit)
    return list((await session.exec(statement)).all())


async def pay(
    session: AsyncSession, *, user: User, payout_id: int, reference: str
) -> PayoutListItem:
    """Record that a pending payout reached its payee: the household's card, or the account
    (the pension fund's), with the bank's reference."""
    row = (
        await session.exec(
            select(Payout, Application)
            .join(Application, col(Application.id) == Payout.application_id)
            .where(Payout.id == payout_id, _visible_to(user))
        )
    ).first()
    if row is None:
        raise NotFound(
            f"no payout {payout_id}", code="payout-not-found", params={"payout_id": payout_id}
        )
    payout, case = row
    if payout.period == ONCE and payout.payee == PAYEE_HOUSEHOLD:
        raise Conflict(
            "a one-time payout is paid by completing the case's payout task",
            code="payout-one-time",
            params={"payout_id": payout_id},
        )
    waiting = await batches.open_line_for(session, payout_id=payout_id)
    if waiting is not None:
        raise PayoutInBatch(
            f"payout {payout_id} awaits the bank in batch line {waiting}; record the bank's "
            "result there",
            code="payout-in-batch",
            params={"payout_id": payout_id, "line": waiting},
        )
    paid = await session.exec(
        update(Payout)
        .where(col(Payout.id) == payout_id, col(Payout.status) == PENDING)
        .values(status=PAID, bank_reference=reference, paid_at=utcnow(), paid_by=user.id)
    )
    if paid.rowcount != 1:
        raise Conflict(
            f"payout {payout_id} is {payout.status}, not pending",
            code="payout-not-pending",
            params={"payout_id": payout_id, "status": payout.status},
        )
    await session.refresh(payout)
    record_event(session, "payout_paid", case=case, payout=payout, actor=user, role=FINANCE_OFFICER)
    await notifications_service.payout_paid(session, case=case, payout=payout)
    (item,) = await items(session, [payout])
    idempotency.stage(session, item)
    await audit_service.commit(session)
    return item
