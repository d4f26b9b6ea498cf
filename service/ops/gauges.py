"""What GET /metrics reads from the database at scrape time: three cheap, indexed queries.

* open and overdue tasks by role: ``ready`` task rows, overdue when ``due_at`` is before the
  service clock (the inbox's ``overdue`` filter); one grouped query over ``ix_task_inbox``;
* how late the worker is: the oldest ``next_timer_at`` at or before now of cases and yearly
  reviews (what ``worker.firing.fire_due`` picks), and the outbox messages due but not sent
  (what ``notifications.delivery`` claims); one statement of three scalar subqueries;
* open incidents by kind; one grouped query over ``ix_incident_status_kind_ref``.

Counts and ages only: no ids, names or numbers of people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from service.applications.models import Application, Review
from service.incidents.models import OPEN, Incident
from service.notifications.models import PENDING, Notification
from service.tasks.models import READY, Task


@dataclass(frozen=True)
class Operational:
    """One scrape's reading of the database."""

    open_by_role: dict[str, int]
    overdue_by_role: dict[str, int]
    worker_lag_seconds: float
    outbox_pending: int
    incidents_by_kind: dict[str, int]


def tasks_statement(now: datetime) -> Select[str, int, int]:
    """Ready tasks per role, and how many of them are past ``due_at``."""
    overdue = func.count(case((col(Task.due_at) < now, 1)))
    return select(Task.role, func.count(), overdue).where(Task.status == READY).group_by(Task.role)


def backlog_statement(now: datetime) -> Select[datetime | None, datetime | None, int]:
    """The oldest due timer of cases and of reviews, and the outbox messages due, not sent."""
    due_case = select(func.min(Application.next_timer_at)).where(
        col(Application.next_timer_at) <= now
    )
    due_review = select(func.min(Review.next_timer_at)).where(col(Review.next_timer_at) <= now)
    outbox = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.status == PENDING, col(Notification.next_attempt_at) <= now)
    )
    return select(
        due_case.scalar_subquery(), due_review.scalar_subquery(), outbox.scalar_subquery()
    )


def incidents_statement() -> Select[str, int]:
    """Open incidents per kind."""
    return (
        select(Incident.kind, func.count()).where(Incident.status == OPEN).group_by(Incident.kind)
    )


async def read(session: AsyncSession, now: datetime) -> Operational:
    """The operational gauges at ``now`` (the service clock)."""
    open_by_role: dict[str, int] = {}
    overdue_by_role: dict[str, int] = {}
    for role, open_count, overdue_count in await session.exec(tasks_statement(now)):
        open_by_role[role], overdue_by_role[role] = open_count, overdue_count
    oldest_case, oldest_review, outbox_pending = (await session.exec(backlog_statement(now))).one()
    due = [moment for moment in (oldest_case, oldest_review) if moment is not None]
    lag = max((now - min(due)).total_seconds(), 0.0) if due else 0.0
    incidents_by_kind = dict((await session.exec(incidents_statement())).all())
    return Operational(
        open_by_role=open_by_role,
        overdue_by_role=overdue_by_role,
        worker_lag_seconds=lag,
        outbox_pending=int(outbox_pending or 0),
        incidents_by_kind=incidents_by_kind,
    )
