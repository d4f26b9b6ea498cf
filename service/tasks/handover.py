"""Handing claimed or overdue tasks to someone else (改派): a county approver, or a township
reviewer within the township, reassigns one task; an administrator who moves or deactivates a
user releases (or hands over) every task that user holds.

Who may take a task is ``tasks_service.may_act``, the rules of the inbox: the task's role, a
jurisdiction covering its village, an active account, separation of duties. Nobody can be
handed a task they could not have claimed themselves, the caller included. Each change is a
conditional update on the holder read before it, so two concurrent hand-overs win once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service import text
from service.applications.models import Application
from service.applications.schemas import TaskSummary
from service.audit import service as audit_service
from service.auth.models import (
    ADMIN,
    CASEWORKER,
    COUNTY_APPROVER,
    TOWNSHIP_REVIEWER,
    VILLAGE_HEAD,
    User,
    acting_roles,
)
from service.clock import utcnow
from service.errors import Conflict, Forbidden, InvalidInput, NotFound, ReliefError
from service.notifications import service as notifications_service
from service.regions import jurisdiction
from service.tasks import service as tasks_service
from service.tasks.models import READY, Task

# What a township reviewer may hand over: the village's and the township's own steps, not the
# county's or the payout (those belong to the county, whose approver supervises them).
TOWNSHIP_LANES = (CASEWORKER, VILLAGE_HEAD, TOWNSHIP_REVIEWER)


async def _case(session: AsyncSession, task: Task) -> Application:
    case = await session.get(Application, task.application_id)
    assert case is not None  # a task row always belongs to a case (foreign key)
    return case


async def _require_target(
    session: AsyncSession, *, to: User | None, task: Task, case: Application, username: str
) -> User:
    """``to`` may act on ``task``; otherwise one refusal for every reason, an unknown user
    included, so the answer never tells whether a user of another county exists."""
    refusal = InvalidInput(
        f"{username} may not act on task {task.id} (the task's role, a jurisdiction "
        "covering its village, an active account and separation of duties are required)",
        field="to",
        code="reassign-target-cannot-act",
        params={"task_id": task.id, "to": username},
    )
    if to is None:
        raise refusal
    try:
        await tasks_service.may_act(session, user=to, task=task, case=case)
    except ReliefError as refused:
        raise refusal from refused
    return to


async def _move(
    session: AsyncSession, *, task: Task, holder_id: int | None, to_id: int | None
) -> None:
    """Give the task to ``to_id`` if it is still ready and still held by ``holder_id``."""
    moved = await session.exec(
        update(Task)
        .where(
            col(Task.id) == task.id,
            col(Task.status) == READY,
            col(Task.claimed_by).is_not_distinct_from(holder_id),
        )
        .values(claimed_by=to_id)
    )
    if moved.rowcount != 1:
        raise Conflict(
            f"task {task.id} was claimed, reassigned or completed meanwhile",
            code="task-claimed-meanwhile",
            params={"task_id": task.id},
        )


def _record(
    session: AsyncSession,
    *,
    task: Task,
    holder: str | None,
    to: User | None,
    reason: str,
    actor: User | None,
    role: str | None,
    actor_name: str | None = None,
) -> None:
    audit_service.record(
        session,
        action="task_reassigned" if to is not None else "task_released",
        actor=actor,
        actor_name=actor_name,
        role=role,
        region=task.village_code,
        application_id=task.application_id,
        task_id=task.id,
        before={"task": task.spec, "holder": holder},
        after={"task": task.spec, "holder": to.username if to is not None else None},
        comment=reason,
    )


async def hand_over_claims(
    session: AsyncSession,
    *,
    holder: User,
    to: User | None,
    reason: str,
    actor: User | None,
    actor_name: str | None = None,
) -> list[int]:
    """Release every ready task ``holder`` has claimed to its role's inbox (``to`` None), or
    give them all to ``to``, who must be able to act on each (else 422
    ``reassign-target-cannot-act`` naming the task, and nothing changes). Each is audited
    (``task_released`` / ``task_reassigned``, holder before and after, ``reason`` as comment);
    the new holder is told. Returns the task ids. No commit: the caller's command commits
    (moving or deactivating a user), or rolls back everything on a refusal."""
    assert holder.id is not None
    tasks = (
        await session.exec(
            select(Task)
            .where(col(Task.claimed_by) == holder.id, col(Task.status) == READY)
            .order_by(col(Task.id))
            .with_for_update()
        )
    ).all()
    cases = {task.id: await _case(session, task) for task in tasks}
    if to is not None and tasks and to.id == holder.id:
        raise InvalidInput(
            f"{to.username} already holds these tasks",
            field="to",
            code="reassign-same-holder",
            params={"task_id": tasks[0].id, "to": to.username},
        )
    if to is not None:
        # Every check first: a refusal leaves every task as it was.
        for task in tasks:
            await _require_target(
                session, to=to, task=task, case=cases[task.id], username=to.username
            )
    role = ADMIN if actor is not None and ADMIN in actor.roles else None
    for task in tasks:
        await _move(session, task=task, holder_id=holder.id, to_id=to.id if to else None)
        _record(
            session,
            task=task,
            holder=holder.username,
            to=to,
            reason=reason,
            actor=actor,
            role=role,
            actor_name=actor_name,
        )
        if to is not None:
            await notifications_service.task_reassigned(
                session, case=cases[task.id], task=task, to=to, reason=reason
            )
    return [task.id for task in tasks if task.id is not None]


def _reassigning_role(user: User, task: Task) -> str:
    """The role the caller reassigns ``task`` in, or 403: a county approver any task of the
    county, a township reviewer the village's and township's steps."""
    roles = acting_roles(user)
    if COUNTY_APPROVER in roles:
        return COUNTY_APPROVER
    if TOWNSHIP_REVIEWER in roles and task.role in TOWNSHIP_LANES:
        return TOWNSHIP_REVIEWER
    raise Forbidden(
        "reassigning a task needs a county approver (any task of the county) or a township "
        "reviewer (village and township tasks of the township)",
        code="reassign-role-required",
        params={"task_id": task.id},
    )


async def reassignable(
    session: AsyncSession, *, user: User, task_id: int
) -> tuple[Task, Application, str]:
    """The task, its case and the caller's reassigning role, if the caller may reassign it:
    404 outside the caller's jurisdiction, 403 for another role."""
    if not {COUNTY_APPROVER, TOWNSHIP_REVIEWER} & acting_roles(user):
        raise Forbidden(
            "reassigning a task needs a county approver or a township reviewer",
            code="reassign-role-required",
            params={"task_id": task_id},
        )
    task = await session.get(Task, task_id)
    if task is None or not user.covers(task.village_code):
        raise NotFound(f"no task {task_id}", code="task-not-found", params={"task_id": task_id})
    case = await jurisdiction.get_visible(session, user=user, application_id=task.application_id)
    return task, case, _reassigning_role(user, task)


def _is_reassignable(task: Task, now: datetime) -> bool:
    """Ready, and held by someone or past its deadline: a free task on time needs no one."""
    overdue = task.due_at is not None and task.due_at < now
    return task.status == READY and (task.claimed_by is not None or overdue)


async def candidates(session: AsyncSession, *, task: Task) -> list[User]:
    """Active users who may take ``task``: its role, covering its village, separation of
    duties (``may_act``), by username. What the reassign form offers."""
    case = await _case(session, task)
    county = task.village_code[:6]
    users = (
        await session.exec(
            select(User)
            .where(col(User.active).is_(True), col(User.jurisdiction).startswith(county))
            .order_by(col(User.username))
        )
    ).all()
    fit = []
    for user in users:
        if task.role not in acting_roles(user) or not user.covers(task.village_code):
            continue  # the cheap rules first; may_act asks them again with the rest
        try:
            await tasks_service.may_act(session, user=user, task=task, case=case)
        except ReliefError:
            continue
        fit.append(user)
    return fit


async def candidates_for(session: AsyncSession, *, user: User, task_id: int) -> list[User]:
    """``candidates`` of a task the caller may reassign, its current holder left out."""
    task, _case_, _role = await reassignable(session, user=user, task_id=task_id)
    return [other for other in await candidates(session, task=task) if other.id != task.claimed_by]


async def offers(
    session: AsyncSession, *, user: User, tasks: list[TaskSummary]
) -> dict[int, list[User]]:
    """For the case page: each of ``tasks`` (a case's open tasks) the caller may reassign now,
    with whom it may go to. A hint only: ``reassign`` checks everything again."""
    if not {COUNTY_APPROVER, TOWNSHIP_REVIEWER} & acting_roles(user):
        return {}
    now, offered = utcnow(), {}
    for summary in tasks:
        task = await session.get(Task, summary.id)
        if task is None or not user.covers(task.village_code) or not _is_reassignable(task, now):
            continue
        try:
            _reassigning_role(user, task)
        except ReliefError:
            continue
        fit = await candidates(session, task=task)
        offered[summary.id] = [other for other in fit if other.id != task.claimed_by]
    return offered


async def reassign(
    session: AsyncSession, *, user: User, task_id: int, to: str, reason: str
) -> TaskSummary:
    """Hand one claimed or overdue ready task to ``to`` (a username), with a reason: one
    transaction, audited ``task_reassigned``; the new holder is told. A concurrent claim,
    reassignment or completion makes this one a 409 that changes nothing."""
    task, case, role = await reassignable(session, user=user, task_id=task_id)
    reason = text.reason(reason)
    if not _is_reassignable(task, utcnow()):
        raise Conflict(
            f"task {task.id} is neither claimed nor overdue (or no longer ready)",
            code="task-not-reassignable",
            params={"task_id": task.id, "status": task.status},
        )
    target = (await session.exec(select(User).where(User.username == to))).first()
    target = await _require_target(session, to=target, task=task, case=case, username=to)
    if target.id == task.claimed_by:
        raise InvalidInput(
            f"{to} already holds task {task.id}",
            field="to",
            code="reassign-same-holder",
            params={"task_id": task.id, "to": to},
        )
    holder = await session.get(User, task.claimed_by) if task.claimed_by is not None else None
    await _move(session, task=task, holder_id=task.claimed_by, to_id=target.id)
    _record(
        session,
        task=task,
        holder=holder.username if holder else None,
        to=target,
        reason=reason,
        actor=user,
        role=role,
    )
    await notifications_service.task_reassigned(
        session, case=case, task=task, to=target, reason=reason
    )
    await audit_service.commit(session)
    await session.refresh(task)
    return TaskSummary.of(task, target.username)
