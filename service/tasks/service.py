"""Inbox, claim and completion of user tasks, with every rule of the chain checked here."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Exists, Select, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, exists, not_, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service import idempotency
from service.applications import eligibility, progress
from service.applications import service as applications_service
from service.applications.models import PAID, Application
from service.applications.schemas import TaskSummary
from service.audit import service as audit_service
from service.auth.models import (
    COUNTY_APPROVER,
    FINANCE_OFFICER,
    VILLAGE_LEVEL_ROLES,
    User,
    acting_roles,
)
from service.clock import local_today, utcnow
from service.counters import COMPLETIONS
from service.engine import DEFAULT_DECISIONS, Completed, DecisionOption
from service.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    MissingDocuments,
    NotFound,
    PayoutInBatch,
    SeparationOfDuties,
    StaleTask,
)
from service.payouts import batches as payout_batches
from service.payouts import service as payouts_service
from service.programs.models import Program
from service.regions import jurisdiction
from service.reviews import service as reviews_service
from service.tasks import data as task_data
from service.tasks.models import COMPLETED, READY, Task
from service.tasks.schemas import CompletionResult, Decision, TaskRead


def _acted_elsewhere() -> Exists:
    """The caller (``:user_id``) completed a task of the same case in another lane (another
    level)."""
    other = aliased(Task)
    return exists().where(
        col(other.application_id) == col(Task.application_id),
        col(other.completed_by) == bindparam("user_id"),
        col(other.role) != col(Task.role),
    )


# What an inbox row shows of its task (TaskRead), read as plain columns.
_INBOX_COLUMNS: list[Any] = [
    getattr(Task, name)
    for name in (
        "id",
        "application_id",
        "name",
        "name_en",
        "spec",
        "role",
        "status",
        "due_at",
        "escalated_at",
        "priority",
        "claimed_by",
        "created_at",
        "village_code",
    )
]


@functools.cache
def _inbox_statement(*, one_case: bool, overdue: bool | None) -> Select[Any]:
    """The inbox query, built once per shape: building SQLAlchemy expressions costs more CPU
    than running the query. The caller's values are bound parameters."""
    statement = (
        sa_select(*_INBOX_COLUMNS, col(Application.status), col(Application.program_code))
        .join(Application, col(Application.id) == Task.application_id)
        .where(
            col(Task.status) == READY,
            col(Task.role).in_(bindparam("roles", expanding=True)),
            col(Task.village_code).startswith(bindparam("jurisdiction")),
            or_(col(Task.claimed_by).is_(None), Task.claimed_by == bindparam("user_id")),
            not_(_acted_elsewhere()),
            or_(
                Application.submitted_by != bindparam("user_id"),
                col(Task.role).in_(VILLAGE_LEVEL_ROLES),
            ),
        )
        .order_by(col(Task.priority).desc(), col(Task.due_at).asc().nulls_last(), col(Task.id))
        .limit(bindparam("limit"))
    )
    if one_case:
        statement = statement.where(col(Task.application_id) == bindparam("application_id"))
    if overdue is not None:
        late = col(Task.due_at) < bindparam("now")
        statement = statement.where(late if overdue else or_(col(Task.due_at).is_(None), ~late))
    return statement


async def inbox(
    session: AsyncSession,
    *,
    user: User,
    application_id: int | None = None,
    overdue: bool | None = None,
    limit: int = 100,
) -> list[TaskRead]:
    """Ready tasks the caller may act on now.

    Lane role, jurisdiction and separation of duties; tasks claimed by others are left out.
    The same rules as ``may_act``, written as SQL so the inbox stays one indexed query.
    """
    roles = acting_roles(user)
    if not roles:
        return []
    statement = _inbox_statement(one_case=application_id is not None, overdue=overdue)
    params = {
        "roles": sorted(roles),
        "jurisdiction": user.jurisdiction,
        "user_id": user.id,
        "limit": limit,
        "application_id": application_id,
        "now": utcnow(),
    }
    rows = (await session.execute(statement, params)).all()
    # Plain rows, not ORM objects: an inbox page is up to 500 of them.
    names = [column.key for column in _INBOX_COLUMNS]
    inbox = []
    for row in rows:
        fields = dict(zip(names, row, strict=False))
        # Tasks claimed by others are left out: a claimed one is the caller's.
        fields["claimed_by"] = user.username if fields["claimed_by"] is not None else None
        fields["village"] = fields["village_code"]
        fields["application_status"], fields["program"] = row[-2], row[-1]
        inbox.append(TaskRead.model_validate(fields))
    return inbox


async def case_of_task(session: AsyncSession, task_id: int) -> int | None:
    """The case a task belongs to (None for no such task): a form names both, and a task of
    another case is not this form's to decide."""
    return (await session.exec(select(Task.application_id).where(Task.id == task_id))).first()


async def specs_of_case(session: AsyncSession, application_id: int) -> tuple[list[str], list[str]]:
    """The BPMN element ids of a case's user tasks done and open (its own flow, not a yearly
    review's), in the order they were created: what its diagram marks."""
    rows = (
        await session.exec(
            select(Task.spec, Task.status)
            .where(Task.application_id == application_id, col(Task.review_id).is_(None))
            .order_by(col(Task.id))
        )
    ).all()
    done = [spec for spec, status in rows if status == COMPLETED]
    ready = [spec for spec, status in rows if status == READY]
    return done, ready


async def offered_decisions(session: AsyncSession, task_id: int) -> tuple[DecisionOption, ...]:
    """The decisions a task offers, in the flow's order, each with its names (and hint) in
    both languages: what its flow declares (``decision.*`` properties of the user task), or
    approve, reject and return. A completion with any other decision is refused. No such
    task: the defaults (the caller has already found the task it shows)."""
    task = await session.get(Task, task_id)
    if task is None:
        return DEFAULT_DECISIONS
    return await task_data.offered_decisions(session, task)


async def _get_visible_task(session: AsyncSession, *, user: User, task_id: int) -> Task:
    task = await session.get(Task, task_id)
    if task is None or not user.covers(task.village_code):
        raise NotFound(f"no task {task_id}", code="task-not-found", params={"task_id": task_id})
    return task


def _check_lane_and_ready(user: User, task: Task) -> None:
    """The caller acts in the task's lane, and the task still waits for someone."""
    if task.role not in acting_roles(user):
        raise Forbidden(
            f"this task is for the {task.role} role",
            code="task-role-mismatch",
            params={"task_id": task.id, "role": task.role},
        )
    if task.status != READY:
        raise StaleTask(
            f"task {task.id} is already {task.status}",
            code="task-not-ready",
            params={"task_id": task.id, "status": task.status},
        )


async def may_act(session: AsyncSession, *, user: User, task: Task, case: Application) -> None:
    """Whether ``user`` may act on ``task`` of ``case`` at all, whoever holds it now: an active
    user, covering the task's village, in its lane, while it is ready, and separation of
    duties (not above village level on a case they submitted; one level per case, counted by
    ``Task.completed_by``, so what a person did still counts after they move).

    The rules of ``inbox`` as checks; a reassignment asks them of the user it hands a task to.
    """
    if not user.active:
        raise Forbidden(
            f"user {user.username} is deactivated",
            code="user-inactive",
            params={"task_id": task.id},
        )
    if not user.covers(task.village_code):
        raise NotFound(f"no task {task.id}", code="task-not-found", params={"task_id": task.id})
    _check_lane_and_ready(user, task)
    if case.submitted_by == user.id and task.role not in VILLAGE_LEVEL_ROLES:
        raise SeparationOfDuties(
            "nobody approves above village level a case they submitted", code="sod-own-submission"
        )
    other_levels = await session.exec(
        select(Task.role).where(
            Task.application_id == case.id,
            Task.completed_by == user.id,
            Task.role != task.role,
        )
    )
    done = other_levels.first()
    if done is not None:
        raise SeparationOfDuties(
            f"you already acted on this case as {done}; one person completes one level only",
            code="sod-one-level",
            params={"role": done},
        )


async def _check_may_act(
    session: AsyncSession, *, user: User, task: Task, case: Application
) -> None:
    """``may_act``, and the task is not claimed by someone else."""
    await may_act(session, user=user, task=task, case=case)
    if task.claimed_by is not None and task.claimed_by != user.id:
        raise Conflict(
            f"task {task.id} is claimed by another user",
            code="task-claimed-by-other",
            params={"task_id": task.id},
        )


async def claim(session: AsyncSession, *, user: User, task_id: int) -> TaskSummary:
    task = await _get_visible_task(session, user=user, task_id=task_id)
    case = await jurisdiction.get_visible(session, user=user, application_id=task.application_id)
    await _check_may_act(session, user=user, task=task, case=case)
    if task.claimed_by == user.id:
        return TaskSummary.of(task, user.username)
    result = await session.exec(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.status) == READY, col(Task.claimed_by).is_(None))
        .values(claimed_by=user.id)
    )
    if result.rowcount != 1:
        raise Conflict(
            f"task {task_id} was claimed or completed meanwhile",
            code="task-claimed-meanwhile",
            params={"task_id": task_id},
        )
    _record_task_event(session, "task_claimed", user=user, task=task)
    await audit_service.commit(session)
    await session.refresh(task)
    return TaskSummary.of(task, user.username)


async def unclaim(session: AsyncSession, *, user: User, task_id: int) -> TaskSummary:
    task = await _get_visible_task(session, user=user, task_id=task_id)
    _check_lane_and_ready(user, task)
    if task.claimed_by != user.id:
        raise Conflict(
            "only the user who claimed a task can release it",
            code="task-release-not-claimer",
            params={"task_id": task.id},
        )
    await session.exec(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.claimed_by) == user.id)
        .values(claimed_by=None)
    )
    _record_task_event(session, "task_unclaimed", user=user, task=task)
    await audit_service.commit(session)
    await session.refresh(task)
    return TaskSummary.of(task, None)


def _record_task_event(session: AsyncSession, action: str, *, user: User, task: Task) -> None:
    audit_service.record(
        session,
        action=action,
        actor=user,
        role=task.role,
        region=task.village_code,
        application_id=task.application_id,
        task_id=task.id,
        after={"task": task.spec},
    )


async def _check_offered(session: AsyncSession, *, task: Task, decision: Decision) -> None:
    """A task is completed only with a decision its flow offers (``offered_decisions``):
    a decision no branch was drawn for is refused, never ignored."""
    offered = [option.code for option in await task_data.offered_decisions(session, task)]
    if decision.decision not in offered:
        raise InvalidInput(
            f"task {task.id} does not offer {decision.decision!r}; it offers: "
            + ", ".join(offered),
            field="decision",
            code="decision-not-offered",
            params={"decision": decision.decision, "offered": offered},
        )


async def _check_decision_rules(
    session: AsyncSession, *, task: Task, case: Application, program: Program, decision: Decision
) -> None:
    if task.role == FINANCE_OFFICER:
        # While the bank has the payout in a batch, only the bank's result settles it.
        waiting = await payout_batches.open_line_for(session, application_id=case.id)
        if waiting is not None:
            raise PayoutInBatch(
                f"the payout awaits the bank in batch line {waiting}; record the bank's result "
                "for that line instead",
                code="payout-task-in-batch",
                params={"line": waiting},
            )
    if decision.decision != "approve":
        return
    if task.role == COUNTY_APPROVER:
        # The eligibility table again, on the case as it stands after any correction.
        eligibility.require(program, case, today=local_today())
    if task.role in VILLAGE_LEVEL_ROLES:
        missing = await applications_service.missing_documents(session, case=case)
        if missing:
            raise MissingDocuments(
                f"attach the required documents first: {', '.join(missing)}",
                missing=missing,
                code="documents-missing",
                params={"missing": missing},
            )


async def _complete_review(
    session: AsyncSession, *, user: User, task: Task, case: Application, decision: Decision
) -> CompletionResult:
    """A task of a yearly review 年审: the review's own workflow moves, the case's may end."""
    assert case.id is not None
    # The row first: the review's task sync then sees it completed, not vanished.
    await mark_completed(session, task=task, user=user, decision=decision)
    before, after, created, completed = await reviews_service.complete_task(
        session, user=user, task=task, case=case, act=task_data.completing(task, decision, case)
    )
    await _record_completion(
        session,
        user=user,
        task=task,
        case=case,
        decision=decision,
        before=before,
        after=after,
        completed=completed,
    )
    return await _finish(
        session, user=user, task=task, case=case, decision=decision, after=after, created=created
    )


async def _finish(
    session: AsyncSession,
    *,
    user: User,
    task: Task,
    case: Application,
    decision: Decision,
    after: str,
    created: list[Task],
) -> CompletionResult:
    """The one commit of a completion, and what the caller gets back."""
    assert case.id is not None
    # The answer is built before the commit, so a retry's record commits with the change.
    result = CompletionResult(
        task=TaskSummary.of(task, user.username if task.claimed_by else None),
        application_id=case.id,
        status=after,
        next_tasks=[TaskSummary.of(row, None) for row in created],
    )
    idempotency.stage(session, result)
    await audit_service.commit(session)
    COMPLETIONS.labels(task.role, decision.decision).inc()
    return result


async def _record_completion(
    session: AsyncSession,
    *,
    user: User,
    task: Task,
    case: Application,
    decision: Decision,
    before: str,
    after: str,
    completed: Completed,
) -> None:
    """The completion's audit events (what its data changed among them), then any change it
    proposes to what is paid: checked, and applied when it is the county's approval."""
    data_before, data_after = task_data.trail(completed)
    audit_service.record(
        session,
        action="task_completed",
        actor=user,
        role=task.role,
        region=case.village_code,
        application_id=case.id,
        task_id=task.id,
        before={"status": before, "task": task.spec, "review_id": task.review_id, **data_before},
        after={"status": after, "decision": decision.decision, **data_after},
        comment=decision.comment,
    )
    if after != before:
        audit_service.record(
            session,
            action="status_changed",
            actor=user,
            role=task.role,
            region=case.village_code,
            application_id=case.id,
            before={"status": before},
            after={"status": after},
        )
    await task_data.settle_proposal(
        session, user=user, task=task, case=case, decision=decision, completed=completed
    )


async def mark_completed(
    session: AsyncSession, *, task: Task, user: User, decision: Decision
) -> None:
    """The task row's own guard: of two completions, one finds it no longer ready (409)."""
    values = {
        "status": COMPLETED,
        "completed_by": user.id,
        "completed_at": utcnow(),
        "decision": decision.decision,
        "comment": decision.comment,
    }
    done = await session.exec(
        update(Task).where(col(Task.id) == task.id, col(Task.status) == READY).values(**values)
    )
    if done.rowcount != 1:
        raise StaleTask(
            f"task {task.id} was completed meanwhile",
            code="task-completed-meanwhile",
            params={"task_id": task.id},
        )
    # The row now says what the UPDATE wrote: no reload before the answer is built.
    for name, value in values.items():
        set_committed_value(task, name, value)


async def complete(
    session: AsyncSession, *, user: User, task_id: int, decision: Decision
) -> CompletionResult:
    """Approve, reject or return one ready task: one transaction, stale or concurrent → 409."""
    try:
        async with audit_service.undone_on_error(session):
            return await _complete(session, user=user, task_id=task_id, decision=decision)
    except IntegrityError as error:
        # A concurrent completion won the race on a unique key (e.g. the same task row twice).
        raise StaleTask(
            "the task was completed concurrently; reload and try again",
            code="task-completed-meanwhile",
            params={"task_id": task_id},
        ) from error


async def _complete(
    session: AsyncSession, *, user: User, task_id: int, decision: Decision
) -> CompletionResult:
    task = await _get_visible_task(session, user=user, task_id=task_id)
    case = await jurisdiction.get_visible(session, user=user, application_id=task.application_id)
    await _check_may_act(session, user=user, task=task, case=case)
    await _check_offered(session, task=task, decision=decision)
    if task.review_id is not None:
        return await _complete_review(session, user=user, task=task, case=case, decision=decision)
    program = await session.get(Program, case.program_code)
    assert program is not None
    await _check_decision_rules(session, task=task, case=case, program=program, decision=decision)
    assert case.id is not None

    # The task row first: its guard, not the engine, tells a second completion it lost.
    await mark_completed(session, task=task, user=user, decision=decision)
    moved = await progress.move(
        session, case, task_data.completing(task, decision, case), case=case
    )
    before, after, created, instance = moved.before, moved.status, moved.created, moved.instance
    completed: Completed = moved.result
    await _record_completion(
        session,
        user=user,
        task=task,
        case=case,
        decision=decision,
        before=before,
        after=after,
        completed=completed,
    )
    await progress.apply_status(
        session,
        case=case,
        program=program,
        before=before,
        status=after,
        actor=user,
        role=task.role,
        instance=instance,
    )
    if after == PAID:
        await payouts_service.mark_paid(
            session,
            case=case,
            program=program,
            actor=user,
            reference=task_data.bank_reference(completed),
        )
    return await _finish(
        session, user=user, task=task, case=case, decision=decision, after=after, created=created
    )
