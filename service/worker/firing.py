"""Timers of workflows (deadlines 限时办结), fired by the worker when due.

A case row, and a yearly review row, carries ``next_timer_at``: the moment its workflow's
earliest timer is due (kept by every save of its state). A round takes the due rows one by one,
each in its own transaction under a row lock taken with ``SKIP LOCKED``: a row another worker
holds is skipped, and a row already fired no longer matches, so no timer fires twice however
many workers run. Firing a deadline's timer marks the task escalated, records it in the trail
and tells the level above; a task the flow gave no timer has the catalogue's deadline on its
row, and the worker escalates it the same way once that has passed (``escalate_due``). A
timer on the main path of a case's flow (a public notice that runs out) moves the case like a
decision, with the same side effects, recorded as the worker's.

A failed firing rolls back whole, then counts a try on the row and waits (doubling pauses);
after the last try the row's timers stop and an incident asks an admin to look.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import progress
from service.applications.models import Application, Review
from service.audit import service as audit_service
from service.clock import utcnow
from service.db import get_database
from service.engine import Instance, ReadyTask
from service.errors import FlowError
from service.incidents import service as incidents_service
from service.incidents.retry import next_attempt_at
from service.notifications import service as notifications_service
from service.reviews import service as reviews_service
from service.tasks.models import READY, Task
from service.worker import undated

log = structlog.get_logger()
WORKER = "worker"  # the actor name of what the worker records


async def _fire_case(session: AsyncSession, case: Any, now: datetime) -> None:
    before = case.status
    # A flow's own timer may move the case (say, a public notice ran out): the same side
    # effects as a person's decision, recorded as the worker's.
    moved = await progress.record_engine_move(session, case=case, act=Instance.fire_timers)
    status, ready = moved.status, moved.ready
    if status != before:
        audit_service.record(
            session,
            action="status_changed",
            actor=None,
            actor_name=WORKER,
            region=case.village_code,
            application_id=case.id,
            before={"status": before},
            after={"status": status},
        )
    await _escalate(session, case=case, review_id=None, ready=ready, now=now)


async def _fire_review(session: AsyncSession, review: Any, now: datetime) -> None:
    case = await session.get(Application, review.application_id)
    assert case is not None
    moved = await progress.move(
        session, review, Instance.fire_timers, case=case, status=reviews_service.status_rule
    )
    if moved.status != moved.before:
        # A review's outcome changes the enrolment: that is the village's decision, not a
        # timer's (and its side effects follow decisions only). Raised before the commit: the
        # move is rolled back whole.
        raise FlowError(
            f"a timer would move the review from {moved.before} to {moved.status}",
            code="timer-transition-invalid",
            params={"from": moved.before, "to": moved.status},
        )
    await _escalate(session, case=case, review_id=review.id, ready=moved.ready, now=now)


@dataclass(frozen=True)
class _Timed:
    """A table whose rows hold a workflow with timers: what fires them, and the incident kind."""

    model: type[Application] | type[Review]
    incident: str
    fire: Callable[[AsyncSession, Any, datetime], Awaitable[None]]


TIMED = (
    _Timed(Application, "timer", _fire_case),
    _Timed(Review, "review_timer", _fire_review),
)


async def fire_due(now: datetime, limit: int) -> int:
    """Fire the timers due at ``now`` of up to ``limit`` cases and reviews; how many fired."""
    fired = 0
    for timed in TIMED:
        async with get_database().read_sessions() as session:
            due = (
                await session.exec(
                    select(timed.model.id)
                    .where(col(timed.model.next_timer_at) <= now)
                    .order_by(col(timed.model.next_timer_at))
                    .limit(limit)
                )
            ).all()
        for row_id in due:
            if row_id is not None:
                fired += await _fire_one(timed, row_id, now)
    return fired


async def _fire_one(timed: _Timed, row_id: int, now: datetime) -> int:
    database = get_database()
    async with database.write_sessions() as session:
        row = (
            await session.exec(
                select(timed.model)
                .where(col(timed.model.id) == row_id, col(timed.model.next_timer_at) <= now)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if row is None:
            return 0  # another worker holds it, or fired it already
        try:
            await timed.fire(session, row, now)
            await audit_service.commit(session)
            return 1
        except Exception as error:  # noqa: BLE001 - any failure: roll back, count a try
            await audit_service.roll_back(session)
            failure = f"{type(error).__name__}: {error}"
    log.warning("timer_failed", kind=timed.incident, ref_id=row_id, error=failure)
    async with database.write_sessions() as session:
        await _count_failure(session, timed, row_id, failure, now)
    return 0


async def _escalate(
    session: AsyncSession,
    *,
    case: Application,
    review_id: int | None,
    ready: list[ReadyTask],
    now: datetime,
) -> None:
    """Mark the tasks whose deadline timer has fired, once each, and tell the level above."""
    overdue = {task.engine_task_id for task in ready if task.overdue}
    if not overdue:
        return
    of_workflow = (
        col(Task.review_id).is_(None) if review_id is None else col(Task.review_id) == review_id
    )
    rows = (
        await session.exec(
            select(Task).where(
                Task.application_id == case.id,
                of_workflow,
                Task.status == READY,
                col(Task.engine_task_id).in_(overdue),
                col(Task.escalated_at).is_(None),
            )
        )
    ).all()
    for task in rows:
        await _mark_escalated(session, case=case, task=task, now=now)
    await session.flush()


async def _mark_escalated(
    session: AsyncSession, *, case: Application, task: Task, now: datetime
) -> None:
    """Mark one task escalated, record it in the trail and tell the level above (督办)."""
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
        after={
            "step": task.spec,
            "role": task.role,
            "due_at": task.due_at.isoformat() if task.due_at else None,
            # The catalogue's time limit, not a timer of the flow, set the deadline.
            **({"deadline": "catalogue default"} if task.default_deadline else {}),
        },
    )
    await notifications_service.task_overdue(session, case=case, task=task)


def _default_deadline_due(now: datetime) -> Any:
    """Ready tasks whose deadline is the catalogue's (no timer of their own), due at ``now``
    and not yet escalated."""
    return (
        col(Task.status) == READY,
        col(Task.default_deadline).is_(True),
        col(Task.escalated_at).is_(None),
        col(Task.due_at) <= now,
    )


async def escalate_due(now: datetime, limit: int) -> int:
    """Escalate up to ``limit`` tasks whose catalogue deadline has passed: no timer of the
    flow fires for them, so the worker looks at the task rows. Each task in its own
    transaction under a row lock taken with ``SKIP LOCKED``; an escalated task no longer
    matches, so each is escalated once however many workers run. Open tasks without a due
    date (opened before every task had one) are dated first (undated.py)."""
    await undated.date_undated(limit)
    async with get_database().read_sessions() as session:
        due = (
            await session.exec(
                select(Task.id)
                .where(*_default_deadline_due(now))
                .order_by(col(Task.due_at), col(Task.id))
                .limit(limit)
            )
        ).all()
    escalated = 0
    for task_id in due:
        if task_id is not None:
            escalated += await _escalate_one(task_id, now)
    return escalated


async def _escalate_one(task_id: int, now: datetime) -> int:
    async with get_database().write_sessions() as session:
        task = (
            await session.exec(
                select(Task)
                .where(col(Task.id) == task_id, *_default_deadline_due(now))
                .with_for_update(skip_locked=True)
            )
        ).first()
        if task is None:
            return 0  # another worker holds it, or escalated it, or it was done meanwhile
        try:
            case = await session.get(Application, task.application_id)
            assert case is not None
            await _mark_escalated(session, case=case, task=task, now=now)
            await audit_service.commit(session)
            return 1
        except Exception as error:  # noqa: BLE001 - roll back whole; the next round tries again
            await audit_service.roll_back(session)
            log.warning(
                "escalation_failed", task_id=task_id, error=f"{type(error).__name__}: {error}"
            )
            return 0


async def _count_failure(
    session: AsyncSession, timed: _Timed, row_id: int, error: str, now: datetime
) -> None:
    row: Application | Review | None = await session.get(timed.model, row_id, with_for_update=True)
    if row is None:
        return
    attempts = row.timer_attempts + 1
    retry_at = next_attempt_at(attempts, now)
    row.timer_attempts, row.next_timer_at = attempts, retry_at
    session.add(row)
    if retry_at is None:
        await incidents_service.open_incident(
            session,
            kind=timed.incident,
            ref_id=row_id,
            application_id=row.application_id if isinstance(row, Review) else row_id,
            error=error,
            attempts=attempts,
        )
    await session.commit()


def _retry_handler(timed: _Timed) -> incidents_service.RetryHandler:
    async def retry(session: AsyncSession, row_id: int) -> None:
        """An admin's retry: the timers are due again now, with fresh tries."""
        row: Application | Review | None = await session.get(
            timed.model, row_id, with_for_update=True
        )
        if row is not None:
            row.timer_attempts, row.next_timer_at = 0, utcnow()
            session.add(row)

    return retry


for _timed in TIMED:
    incidents_service.register_retry(_timed.incident, _retry_handler(_timed))
