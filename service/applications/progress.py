"""Applying what the engine did to a case: task rows, status, claims and payouts.

Status comes from the flow by convention, so uploaded flows need no Python:
- finished: the id of the end event reached, ``end_<status>`` (``end_paid``, ``end_rejected``);
- waiting on a task whose id starts with ``correction``: ``returned``;
- waiting on a task whose id starts with ``objection``: ``held`` (an objection to the public
  notice is examined; the payout waits);
- waiting on a task in the ``finance_officer`` lane: ``approved`` (county approved, payout due);
- waiting at an event whose id starts with ``notice``: ``notice`` (on public notice 公示);
- otherwise ``in_progress``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import (
    APPROVED,
    ENDED,
    ENROLLED,
    FINAL,
    HELD,
    IN_PROGRESS,
    NOTICE,
    PAID,
    RELEASES_CLAIM,
    RETURNED,
    Application,
    HouseholdClaim,
    Review,
)
from service.auth.models import FINANCE_OFFICER, User
from service.clock import utcnow
from service.engine import Instance, ReadyTask, call_provided
from service.errors import FlowError, StaleTask
from service.flows import service as flows_service
from service.notices import service as notices_service
from service.notifications import service as notifications_service
from service.payouts import service as payouts_service
from service.payouts import yearly
from service.programs.models import Program
from service.tasks.models import CANCELLED, READY, Task

STATUS_OF_END = {"end_paid": PAID, "end_rejected": "rejected"}


def derive_status(instance: Instance, ready: list[ReadyTask]) -> str:
    outcome = instance.outcome()
    if outcome is not None:
        status = STATUS_OF_END.get(outcome) or outcome.removeprefix("end_")
        if status not in FINAL:
            raise FlowError(
                f"the flow ended at {outcome!r}, which names no final status",
                code="flow-end-unknown",
                params={"outcome": str(outcome)},
            )
        return status
    if any(task.spec.startswith("correction") for task in ready):
        return RETURNED
    if any(task.spec.startswith("objection") for task in ready):
        return HELD
    if any(task.lane == FINANCE_OFFICER for task in ready):
        return APPROVED
    if any(element.startswith(notices_service.NOTICE_PREFIX) for element in instance.waiting_at()):
        return NOTICE
    return IN_PROGRESS


@dataclass(frozen=True)
class Move:
    """What one step of a workflow did: its instance after the step, the row's status before
    and after, the ready user tasks and the task rows created for them."""

    instance: Instance
    before: str
    status: str
    ready: list[ReadyTask]
    created: list[Task]
    result: Any = None  # what ``act`` returned (a completion's changes to task data)


# The status a step leaves its row in: derived from the instance and its ready tasks, or given.
StatusRule = Callable[[Instance, list[ReadyTask]], str]


async def load_instance(session: AsyncSession, row: Application | Review) -> Instance:
    """The workflow of a case, or of one of its yearly reviews, as last saved."""
    flow = await flows_service.parsed(session, row.flow_version_id)
    return Instance.load(flow, row.workflow_state)


async def end_review(session: AsyncSession, review: Review) -> None:
    """End a yearly review under way (its workflow cancelled, its ready tasks with it), as an
    optimistic write: a review that moved meanwhile is a 409, never ended twice."""
    instance = await load_instance(session, review)
    instance.cancel()
    ended = await session.exec(
        update(Review)
        .where(col(Review.id) == review.id, col(Review.version) == review.version)
        .values(
            status=ENDED,
            workflow_state=instance.dump(),
            version=review.version + 1,
            updated_at=utcnow(),
        )
    )
    if ended.rowcount != 1:
        raise StaleTask(
            "the case's yearly review changed meanwhile; reload and try again",
            code="review-changed-meanwhile",
        )
    await session.exec(
        update(Task)
        .where(col(Task.review_id) == review.id, col(Task.status) == READY)
        .values(status=CANCELLED)
    )


async def move(
    session: AsyncSession,
    row: Application | Review,
    act: Callable[[Instance], object],
    *,
    case: Application,
    status: StatusRule | str = derive_status,
) -> Move:
    """Load the workflow of ``row`` (a case, or one of ``case``'s yearly reviews), ``act`` on
    it, save it under the optimistic lock and mirror its ready tasks into the task table.

    Every command and timer that moves a workflow goes through here; what the new status
    then sets off (payouts, notices, messages) is ``apply_status``'s, and the audit event is
    the caller's, who knows whose decision it was.
    """
    instance = await load_instance(session, row)
    result = act(instance)
    ready = instance.ready_tasks()
    before = row.status
    after = status if isinstance(status, str) else status(instance, ready)
    await save_state(session, row, instance=instance, status=after)
    review_id = row.id if isinstance(row, Review) else None
    created = await sync_tasks(
        session, case=case, ready=ready, review_id=review_id, data=instance.data
    )
    return Move(
        instance=instance, before=before, status=after, ready=ready, created=created, result=result
    )


async def save_state(
    session: AsyncSession, row: Application | Review, *, instance: Instance, status: str
) -> None:
    """Store a workflow instance and status, a case's or a yearly review's, if the row is still
    the version this command loaded.

    The optimistic lock of every command on a case or review: of two commands that loaded the
    same version, exactly one writes; the other gets 409 and its transaction changes nothing.
    """
    model = type(row)
    moved = await session.exec(
        update(model)
        .where(col(model.id) == row.id, col(model.version) == row.version)
        .values(
            workflow_state=instance.dump(),
            status=status,
            version=row.version + 1,
            updated_at=utcnow(),
            # Every move may start or end a deadline: the worker looks at the earliest one.
            next_timer_at=instance.next_timer_at(),
            timer_attempts=0,
        )
    )
    if moved.rowcount != 1:
        what = "review" if isinstance(row, Review) else "case"
        raise StaleTask(
            f"the {what} changed meanwhile; reload and try again",
            code="record-changed-meanwhile",
            params={"what": what},
        )


async def save_case_status(session: AsyncSession, *, case: Application, status: str) -> None:
    """Change only the status (the case's own workflow has ended), under the same lock."""
    moved = await session.exec(
        update(Application)
        .where(col(Application.id) == case.id, col(Application.version) == case.version)
        .values(status=status, version=case.version + 1, updated_at=utcnow())
    )
    if moved.rowcount != 1:
        raise StaleTask(
            "the case changed meanwhile; reload and try again", code="case-changed-meanwhile"
        )


def _default_due(data: dict[str, Any], step: str) -> datetime:
    """The catalogue's deadline of a step started now (service/deadlines' ``deadline``)."""
    return datetime.fromisoformat(str(call_provided("deadline", data, step)))


async def sync_tasks(
    session: AsyncSession,
    *,
    case: Application,
    ready: list[ReadyTask],
    data: dict[str, Any],
    review_id: int | None = None,
) -> list[Task]:
    """Mirror the engine's ready user tasks into the task table; returns the new rows.

    ``review_id`` names the workflow the tasks belong to: a yearly review's, or (None) the
    case's own. Every task has a deadline: a timer on its boundary gives it, or else the
    catalogue's time limit of its step (its ``default``), counted from now the way the flows'
    ``deadline('<step>')`` counts, from the workflow's ``data`` (time limits and county).
    """
    assert case.id is not None
    of_workflow = (
        col(Task.review_id).is_(None) if review_id is None else col(Task.review_id) == review_id
    )
    current = {
        row.engine_task_id: row
        for row in (
            await session.exec(
                select(Task).where(
                    Task.application_id == case.id, col(Task.status) == READY, of_workflow
                )
            )
        ).all()
    }
    now = utcnow()
    created = []
    for task in ready:
        if task.engine_task_id in current:
            continue
        if not task.lane:
            raise FlowError(
                f"user task {task.spec!r} sits in no lane",
                code="flow-task-no-lane",
                params={"task": str(task.spec)},
            )
        row = Task(
            application_id=case.id,
            review_id=review_id,
            engine_task_id=task.engine_task_id,
            spec=task.spec,
            name=task.name,
            name_en=task.name_en,
            role=task.lane,
            village_code=case.village_code,
            priority=case.priority,
            status=READY,
            due_at=task.due_at if task.timed else _default_due(data, task.spec),
            default_deadline=not task.timed,
            created_at=now,
        )
        session.add(row)
        created.append(row)
    still_ready = {task.engine_task_id for task in ready}
    for engine_task_id, row in current.items():
        if engine_task_id not in still_ready:
            row.status = CANCELLED
            session.add(row)
    await session.flush()
    await notifications_service.tasks_assigned(session, case=case, tasks=created)
    return created


async def apply_status(
    session: AsyncSession,
    *,
    case: Application,
    program: Program,
    before: str,
    status: str,
    actor: User | None,
    role: str | None,
    instance: Instance | None = None,
) -> None:
    """Side effects of moving from ``before`` to ``status``: release the household claim,
    owe a payout, or stop owing it, keep the public notice in step. ``actor`` None: a flow's
    timer (or an objection from the public) moved the case."""
    assert case.id is not None
    if status in RELEASES_CLAIM:
        await session.exec(
            delete(HouseholdClaim).where(col(HouseholdClaim.application_id) == case.id)
        )
    if status == ENROLLED and case.enrolled_at is None:
        # Both parents receive the yearly benefit until a review records otherwise.
        case.enrolled_at = utcnow()
        case.eligible_parents = yearly.parents_enrolled(case)
        session.add(case)
    if status == APPROVED:
        await payouts_service.ensure_pending(
            session, case=case, program=program, actor=actor, role=role
        )
    elif before == APPROVED and status != PAID:
        await payouts_service.cancel_pending(session, case=case, actor=actor, role=role)
    if status != before and (status == NOTICE or before in (NOTICE, HELD)):
        await notices_service.follow(
            session,
            case=case,
            program=program,
            before=before,
            status=status,
            instance=instance,
            actor=actor,
        )
    await notifications_service.status_changed(session, case=case, before=before, status=status)


async def record_engine_move(
    session: AsyncSession, *, case: Application, act: Callable[[Instance], object]
) -> Move:
    """``act`` on the case's workflow as the engine would by itself (fire its timers, deliver
    a signal), store the move and apply its side effects as nobody's decision, like a
    person's."""
    moved = await move(session, case, act, case=case)
    before, status, instance = moved.before, moved.status, moved.instance
    if status != before:
        program = await session.get(Program, case.program_code)
        assert program is not None
        await apply_status(
            session,
            case=case,
            program=program,
            before=before,
            status=status,
            actor=None,
            role=None,
            instance=instance,
        )
    return moved
