"""Deadlines 限时办结: when each step of a case is due, and the overdue work supervisors see.

A flow puts a non-interrupting timer on the boundary of each user task, due at
``deadline('<step>')``. That function, offered to flows here, counts the step's time limit from
the program catalogue (``time_limits``, in working days) on the county's calendar. When the
timer fires, the worker marks the task escalated and tells the level above; the case goes on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import User
from service.clock import utcnow
from service.deadlines import calendar
from service.deadlines.schemas import OverdueByPerson, OverdueByTownship, OverdueReport
from service.engine import provide
from service.errors import Forbidden
from service.regions.models import Region
from service.tasks.models import READY, STEP_STARTED, Task

DEFAULT_WORKING_DAYS = 10
SUPERVISORS = frozenset({"county_approver", "auditor", "admin"})


def deadline(data: dict[str, Any], step: str) -> str:
    """The ISO instant a step that starts now is due, from the case's data (its program's
    time limits and its county, put there at submission). A task opened earlier is counted
    from its opening, which the worker passes as ``STEP_STARTED`` (tasks/models.py; a flow
    cannot set it: flow expressions never name what starts with an underscore)."""
    limits = data.get("time_limits") or {}
    days = int(limits.get(step, limits.get("default", DEFAULT_WORKING_DAYS)))
    started = data.get(STEP_STARTED)
    start = datetime.fromisoformat(started) if isinstance(started, str) else utcnow()
    return calendar.due_after(start, days, county=data.get("county")).isoformat()


def install() -> None:
    """Offer ``deadline(step)`` to flow expressions (each process, at start)."""
    calendar.load()
    provide("deadline", deadline)


def _jurisdiction_of_supervisor(user: User) -> str:
    if not SUPERVISORS & set(user.roles):
        raise Forbidden(
            "the supervision view is for county approvers, auditors and admins",
            code="supervision-role-required",
        )
    return user.jurisdiction


async def overdue_report(session: AsyncSession, *, user: User, limit: int = 200) -> OverdueReport:
    """Overdue tasks in the caller's jurisdiction, counted per township and per person."""
    jurisdiction, now = _jurisdiction_of_supervisor(user), utcnow()
    where = (
        (col(Task.status) == READY)
        & (col(Task.due_at) < now)
        & col(Task.village_code).startswith(jurisdiction)
    )
    township = func.substr(Task.village_code, 1, 9)
    by_township = (
        await session.exec(
            select(township, func.count())
            .where(where)
            .group_by(township)
            .order_by(func.count().desc(), township)
        )
    ).all()
    names = {
        region.code: region.name
        for region in (
            await session.exec(
                select(Region).where(col(Region.code).in_([code for code, _ in by_township]))
            )
        ).all()
    }
    by_person = (
        await session.exec(
            select(Task.role, User.username, func.count())
            .select_from(Task)
            .outerjoin(User, col(User.id) == Task.claimed_by)
            .where(where)
            .group_by(Task.role, User.username)
            .order_by(func.count().desc(), Task.role)
        )
    ).all()
    tasks = (
        await session.exec(
            select(Task).where(where).order_by(col(Task.due_at), col(Task.id)).limit(limit)
        )
    ).all()
    return OverdueReport(
        as_of=now,
        total=sum(count for _, count in by_township),
        by_township=[
            OverdueByTownship(township=code, name=names.get(code), overdue=count)
            for code, count in by_township
        ],
        by_person=[
            OverdueByPerson(role=role, user=username, overdue=count)
            for role, username, count in by_person
        ],
        tasks=[task.model_dump() for task in tasks],
    )
