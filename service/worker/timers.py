"""Timers of case workflows (deadlines 限时办结), fired by the worker when due.

Each case row carries ``next_timer_at``, the moment its workflow's earliest timer is due (kept
by every save of its state). A round takes the due cases one by one, each in its own
transaction under a row lock taken with ``SKIP LOCKED``: a case another worker holds is
skipped, and a case already fired no longer matches, so no timer fires twice however many
workers run. Firing a deadline's timer marks the task escalated, records it in the trail and
tells the level above; the case itself does not move.

A failed firing rolls back whole, then counts a try on the case and waits (doubling pauses);
after the last try the case's timers stop and an incident asks an admin to look.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import progress
from service.applications.models import Application
from service.audit import service as audit_service
from service.clock import utcnow
from service.db import get_database
from service.engine import Instance, ReadyTask
from service.errors import FlowError
from service.flows import service as flows_service
from service.incidents import service as incidents_service
from service.tasks.models import READY, Task
from service.worker.retry import next_attempt_at

log = structlog.get_logger()
WORKER = "worker"  # the actor name of what the worker records


async def fire_due(now: datetime, limit: int) -> int:
    """Fire the timers due at ``now`` of up to ``limit`` cases; returns how many fired."""
    database = get_database()
    async with database.read_sessions() as session:
        due = (
            await session.exec(
                select(Application.id)
                .where(col(Application.next_timer_at) <= now)
                .order_by(col(Application.next_timer_at))
                .limit(limit)
            )
        ).all()
    fired = 0
    for case_id in due:
        if case_id is not None:
            fired += await _fire_one(case_id, now)
    return fired


async def _fire_one(case_id: int, now: datetime) -> int:
    database = get_database()
    async with database.write_sessions() as session:
        case = (
            await session.exec(
                select(Application)
                .where(col(Application.id) == case_id, col(Application.next_timer_at) <= now)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if case is None:
            return 0  # another worker holds it, or fired it already
        try:
            await _fire(session, case, now)
            await audit_service.commit(session)
            return 1
        except Exception as error:  # noqa: BLE001 - any failure: roll back, count a try
            await session.rollback()
            audit_service.discard_pending(session)
            failure = f"{type(error).__name__}: {error}"
    log.warning("timer_failed", application_id=case_id, error=failure)
    async with database.write_sessions() as session:
        await _count_failure(session, case_id, failure, now)
    return 0


async def _fire(session: AsyncSession, case: Application, now: datetime) -> None:
    flow = await flows_service.parsed(session, case.flow_version_id)
    instance = Instance.load(flow, case.workflow_state)
    instance.fire_timers()
    ready = instance.ready_tasks()
    status = progress.derive_status(instance, ready)
    if status != case.status:
        # A deadline tells people; moving a case is a person's decision (and its side
        # effects, payouts and claims, follow decisions only).
        raise FlowError(f"a timer would move the case from {case.status} to {status}")
    await progress.save_state(session, case=case, instance=instance, status=status)
    await progress.sync_tasks(session, case=case, ready=ready)
    await _escalate(session, case=case, ready=ready, now=now)


async def _escalate(
    session: AsyncSession, *, case: Application, ready: list[ReadyTask], now: datetime
) -> None:
    """Mark the tasks whose deadline timer has fired, once each, and tell the level above."""
    overdue = {task.engine_task_id for task in ready if task.overdue}
    if not overdue:
        return
    rows = (
        await session.exec(
            select(Task).where(
                Task.application_id == case.id,
                col(Task.review_id).is_(None),
                Task.status == READY,
                col(Task.engine_task_id).in_(overdue),
                col(Task.escalated_at).is_(None),
            )
        )
    ).all()
    from service.notifications import service as notifications_service

    for task in rows:
        task.escalated_at = now
        session.add(task)
        audit_service.record(
            session,
            action="task_escalated",
            actor=None,
            actor_name=WORKER,
            region=case.village_code,
            application_id=case.id,
            task_id=task.id,
            after={"step": task.spec, "role": task.role, "due_at": _iso(task.due_at)},
        )
        await notifications_service.task_overdue(session, case=case, task=task)
    await session.flush()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _count_failure(session: AsyncSession, case_id: int, error: str, now: datetime) -> None:
    case = await session.get(Application, case_id, with_for_update=True)
    if case is None:
        return
    attempts = case.timer_attempts + 1
    retry_at = next_attempt_at(attempts, now)
    case.timer_attempts, case.next_timer_at = attempts, retry_at
    session.add(case)
    if retry_at is None:
        await incidents_service.open_incident(
            session,
            kind="timer",
            ref_id=case_id,
            application_id=case_id,
            error=error,
            attempts=attempts,
        )
    await session.commit()


async def _retry(session: AsyncSession, case_id: int) -> None:
    """An admin's retry: the case's timers are due again now, with fresh tries."""
    case = await session.get(Application, case_id, with_for_update=True)
    if case is None:
        return
    case.timer_attempts = 0
    case.next_timer_at = utcnow()
    session.add(case)


incidents_service.register_retry("timer", _retry)
