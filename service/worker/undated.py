"""Open tasks without a due date get one: every human task has a deadline (issue 21 §1).

A task opened before tasks carried the catalogue's deadline (migration d9e0f1a2b3c4), or on a
flow version stored before then, has no ``due_at``: nothing would ever escalate it. The worker
dates such a task once, as the task would be dated today: by its own boundary timer when the
flow put one on it, else by the catalogue's time limit of its step (or the ``default``),
counted on the county's calendar from when the task opened, and marked ``default_deadline``
so ``escalate_due`` escalates it when that has passed.

Done here rather than in the migration: the due date needs the county's working-day calendar
and the case's own time limits (in its workflow's data), which a migration must not import
(it has to keep running as the service changes); the worker runs after every deploy, and a
row it dated no longer matches, so it is dated once however many workers run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlmodel import col, select

from service.applications import progress
from service.applications.models import Application, Review
from service.audit import service as audit_service
from service.db import get_database
from service.engine import call_provided
from service.tasks.models import READY, STEP_STARTED, Task

log = structlog.get_logger()


def _undated() -> tuple[Any, ...]:
    return (col(Task.status) == READY, col(Task.due_at).is_(None))


async def date_undated(limit: int) -> int:
    """Give up to ``limit`` open tasks without a due date theirs; how many were dated."""
    async with get_database().read_sessions() as session:
        ids = (
            await session.exec(
                select(Task.id).where(*_undated()).order_by(col(Task.id)).limit(limit)
            )
        ).all()
    dated = 0
    for task_id in ids:
        if task_id is not None:
            dated += await _date_one(task_id)
    return dated


async def _date_one(task_id: int) -> int:
    async with get_database().write_sessions() as session:
        task = (
            await session.exec(
                select(Task)
                .where(col(Task.id) == task_id, *_undated())
                .with_for_update(skip_locked=True)
            )
        ).first()
        if task is None:
            return 0  # another worker holds it or dated it, or it was done meanwhile
        try:
            row: Application | Review | None = (
                await session.get(Review, task.review_id)
                if task.review_id is not None
                else await session.get(Application, task.application_id)
            )
            assert row is not None
            instance = await progress.load_instance(session, row)
            ready = {t.engine_task_id: t for t in instance.ready_tasks()}
            own = ready.get(task.engine_task_id)
            if own is not None and own.timed and own.due_at is not None:
                task.due_at = own.due_at  # its flow's timer escalates it (firing.fire_due)
            else:
                started = {**instance.data, STEP_STARTED: task.created_at.isoformat()}
                task.due_at = datetime.fromisoformat(
                    str(call_provided("deadline", started, task.spec))
                )
                task.default_deadline = True
            session.add(task)
            await audit_service.commit(session)
            return 1
        except Exception as error:  # noqa: BLE001 - roll back; the next round tries again
            await audit_service.roll_back(session)
            log.warning("dating_failed", task_id=task_id, error=f"{type(error).__name__}: {error}")
            return 0
