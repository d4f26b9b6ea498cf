"""Writing messages to the outbox, in the transaction of the state change that causes them.

Commands call these functions before their one commit: a change that rolls back leaves no
message behind, and a change that commits always leaves its messages. The worker delivers
them later (``delivery.py``). Each message carries an idempotency key naming the event and the
person; the database writes it once (``ON CONFLICT DO NOTHING``), so a replayed change never
doubles a message and never fails the command.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.auth.models import (
    CASEWORKER,
    COUNTY_APPROVER,
    FINANCE_OFFICER,
    TOWNSHIP_REVIEWER,
    VILLAGE_HEAD,
    User,
    acting_roles,
)
from service.clock import utcnow
from service.masking import mask_id_number, mask_name
from service.notifications import templates
from service.notifications.models import (
    APPLICANT,
    APPROVED,
    ENDED,
    ENROLLED,
    FILE,
    OVERDUE,
    PAID,
    PENDING,
    RECEIVED,
    REJECTED,
    RETURNED,
    REVOKED,
    SMS,
    TASK_ASSIGNED,
    USER,
    Notification,
)
from service.payouts.models import ONCE, PAYEE_HOUSEHOLD, Payout
from service.programs.models import Program
from service.regions.models import Region
from service.tasks.models import Task

# Statuses a case moves into that the applicant is told about.
APPLICANT_EVENTS = (RETURNED, APPROVED, REJECTED, PAID, ENROLLED, REVOKED, ENDED)
# An overdue step is escalated to the level above (督办); the county supervises itself.
ESCALATES_TO = {
    CASEWORKER: VILLAGE_HEAD,
    VILLAGE_HEAD: TOWNSHIP_REVIEWER,
    TOWNSHIP_REVIEWER: COUNTY_APPROVER,
    COUNTY_APPROVER: COUNTY_APPROVER,
    FINANCE_OFFICER: COUNTY_APPROVER,
}


async def _facts(session: AsyncSession, case: Application) -> templates.CaseFacts:
    assert case.id is not None
    program = await session.get(Program, case.program_code)
    village = await session.get(Region, case.village_code)
    return templates.CaseFacts(
        case_id=case.id,
        name=mask_name(case.applicant_name),
        id_number=mask_id_number(case.applicant_id_number) or "",
        card_last4=case.bank_card[-4:],
        program=program.name_zh if program else case.program_code,
        village=village.name if village else case.village_code,
    )


async def _write(
    session: AsyncSession,
    *,
    case: Application,
    event: str,
    recipient_kind: str,
    recipient: str,
    channel: str,
    body: str,
    key: str,
) -> None:
    """Add one message to the outbox, due now; a message with the same key is kept as is."""
    now = utcnow()
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.exec(
        insert(Notification)
        .values(
            application_id=case.id,
            event=event,
            recipient_kind=recipient_kind,
            recipient=recipient,
            channel=channel,
            body=body,
            idempotency_key=key,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )


async def _to_applicant(
    session: AsyncSession,
    *,
    case: Application,
    event: str,
    key: str,
    amount_fen: int | None = None,
    money: str = "救助金",
) -> None:
    if not case.phone:  # no number, no message; staff messages still go
        return
    facts = await _facts(session, case)
    body = templates.applicant_body(event, facts, amount_fen=amount_fen, money=money)
    await _write(
        session,
        case=case,
        event=event,
        recipient_kind=APPLICANT,
        recipient=case.phone,
        channel=SMS,
        body=body,
        key=key,
    )


async def staff_covering(
    session: AsyncSession, *, village_code: str, roles: Iterable[str]
) -> list[User]:
    """Active users who may act in one of ``roles`` on a case of ``village_code``."""
    wanted = set(roles)
    prefixes = {village_code[:6], village_code[:9], village_code}
    statement = (
        select(User)
        .where(col(User.active).is_(True), col(User.jurisdiction).in_(prefixes))
        .order_by(col(User.id))
    )
    users = (await session.exec(statement)).all()
    return [u for u in users if wanted & acting_roles(u) and u.covers(village_code)]


async def case_received(session: AsyncSession, *, case: Application) -> None:
    """A submission was accepted: the applicant hears it was received (案件受理)."""
    await _to_applicant(session, case=case, event=RECEIVED, key=f"case{case.id}:{RECEIVED}")


async def _amount_fen(session: AsyncSession, case: Application) -> int | None:
    payout = (
        await session.exec(
            select(Payout).where(Payout.application_id == case.id, Payout.period == ONCE)
        )
    ).first()
    if payout is not None:
        return payout.amount_fen
    program = await session.get(Program, case.program_code)
    return program.amount_fen if program else None


async def status_changed(
    session: AsyncSession, *, case: Application, before: str, status: str
) -> None:
    """The case moved from ``before`` to ``status``: tell the applicant if it concerns them."""
    if status == before or status not in APPLICANT_EVENTS:
        return
    # A case is paid once; other moves may repeat (returned twice), each its own version.
    key = f"case{case.id}:{status}" if status == PAID else f"case{case.id}:{status}:v{case.version}"
    amount = await _amount_fen(session, case) if status in (APPROVED, PAID) else None
    await _to_applicant(session, case=case, event=status, key=key, amount_fen=amount)


async def payout_paid(session: AsyncSession, *, case: Application, payout: Payout) -> None:
    """A payout reached the household's card: a yearly one's own message, or the case's
    "paid" message of a one-time program (written once, however many paths report it).
    Money to another payee (the pension premium paid to the fund) is not on the family's card:
    no message says it is."""
    if payout.payee != PAYEE_HOUSEHOLD:
        return
    if payout.period == ONCE:
        key, money = f"case{case.id}:{PAID}", "救助金"
    else:
        key, money = f"payout{payout.id}:{PAID}", f"{payout.period}年度扶助金"
    await _to_applicant(
        session, case=case, event=PAID, key=key, amount_fen=payout.amount_fen, money=money
    )


async def tasks_assigned(session: AsyncSession, *, case: Application, tasks: list[Task]) -> None:
    """New tasks: every user who may act on them (the lane's role, covering the village)."""
    if not tasks:
        return
    facts = await _facts(session, case)
    for role in sorted({task.role for task in tasks}):
        users = await staff_covering(session, village_code=case.village_code, roles=[role])
        for task in (task for task in tasks if task.role == role):
            body = templates.task_assigned_body(facts, task_name=task.name)
            for user in users:
                await _write(
                    session,
                    case=case,
                    event=TASK_ASSIGNED,
                    recipient_kind=USER,
                    recipient=user.username,
                    channel=FILE,
                    body=body,
                    key=f"task{task.id}:{TASK_ASSIGNED}:user{user.id}",
                )


async def task_reassigned(
    session: AsyncSession, *, case: Application, task: Task, to: User, reason: str
) -> None:
    """A task was handed to ``to`` (改派): they are told, with the reason (masked already:
    ``text.reason`` took it). Each hand-over is its own message (a task may come back to the
    same person later)."""
    facts = await _facts(session, case)
    body = templates.task_reassigned_body(facts, task_name=task.name, reason=reason)
    now = utcnow()
    await _write(
        session,
        case=case,
        event=TASK_ASSIGNED,
        recipient_kind=USER,
        recipient=to.username,
        channel=FILE,
        body=body,
        key=f"task{task.id}:reassigned:{now.timestamp():.6f}:user{to.id}",
    )


def _stamp(moment: datetime | None) -> str:
    return str(int(moment.timestamp())) if moment else "-"


async def task_overdue(session: AsyncSession, *, case: Application, task: Task) -> None:
    """A task passed its deadline: the level above, covering the village, is told (督办).

    Called by the worker when the step's deadline timer fires, in that transaction. A county
    approver's own overdue task goes to the county's other approvers (not the one who holds it).
    """
    above = ESCALATES_TO.get(task.role, COUNTY_APPROVER)
    users = await staff_covering(session, village_code=case.village_code, roles=[above])
    if above == task.role:
        users = [user for user in users if user.id != task.claimed_by]
    if not users:
        return
    holder = await session.get(User, task.claimed_by) if task.claimed_by is not None else None
    body = templates.overdue_body(
        await _facts(session, case),
        task_name=task.name,
        role=task.role,
        due_at=task.due_at,
        holder=templates.holder_text(
            holder.full_name if holder else None, holder.username if holder else None
        ),
    )
    for user in users:
        await _write(
            session,
            case=case,
            event=OVERDUE,
            recipient_kind=USER,
            recipient=user.username,
            channel=FILE,
            body=body,
            key=f"task{task.id}:{OVERDUE}:{_stamp(task.due_at)}:user{user.id}",
        )


async def list_messages(
    session: AsyncSession,
    *,
    user: User,
    application_id: int | None,
    status: str | None,
    cursor: int | None,
    limit: int,
) -> list[Notification]:
    """Messages about cases in ``user``'s jurisdiction, newest first (keyset on id)."""
    statement = (
        select(Notification)
        .join(Application, col(Application.id) == col(Notification.application_id))
        .where(col(Application.village_code).startswith(user.jurisdiction))
        .order_by(col(Notification.id).desc())
        .limit(limit)
    )
    if application_id is not None:
        statement = statement.where(Notification.application_id == application_id)
    if status is not None:
        statement = statement.where(Notification.status == status)
    if cursor is not None:
        statement = statement.where(col(Notification.id) < cursor)
    return list((await session.exec(statement)).all())
