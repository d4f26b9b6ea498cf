"""Payouts: what a case owes the household's card, created at approval, marked paid once."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.auth.models import User
from service.clock import utcnow
from service.payouts.models import CANCELLED, PAID, PENDING, Payout
from service.programs.models import Program


async def for_application(session: AsyncSession, application_id: int) -> Payout | None:
    statement = select(Payout).where(Payout.application_id == application_id)
    return (await session.exec(statement)).first()


async def ensure_pending(session: AsyncSession, *, case: Application, program: Program) -> Payout:
    """The pending payout of an approved one-time case (at most one: unique per case)."""
    assert case.id is not None
    payout = await for_application(session, case.id)
    if payout is None:
        payout = Payout(
            application_id=case.id,
            amount_fen=program.amount_fen,
            status=PENDING,
            created_at=utcnow(),
        )
        session.add(payout)
    elif payout.status == CANCELLED:
        payout.status = PENDING
        session.add(payout)
    return payout


async def cancel_pending(session: AsyncSession, *, application_id: int) -> None:
    """A case that goes back or ends before payment owes nothing until approved again."""
    payout = await for_application(session, application_id)
    if payout is not None and payout.status == PENDING:
        payout.status = CANCELLED
        session.add(payout)


async def mark_paid(
    session: AsyncSession, *, case: Application, program: Program, actor: User, reference: str
) -> Payout:
    payout = await ensure_pending(session, case=case, program=program)
    payout.status = PAID
    payout.bank_reference = reference
    payout.paid_at = utcnow()
    payout.paid_by = actor.id
    session.add(payout)
    return payout
