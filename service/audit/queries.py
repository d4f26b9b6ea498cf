"""Reading the audit trail: the auditor's filters, keyset pages, and the case and user views.

Every read is scoped by ``visible_to``: the caller's county (the chain) and the regions their
jurisdiction covers. Pages are keyset pages in id order. Within a county, ids follow the chain:
a county's events are inserted and committed under the lock on its head, so a page never
skips an event that commits later with a smaller id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from service.audit.models import AuditEvent
from service.auth.models import ADMIN, AUDITOR, User
from service.errors import Forbidden, NotFound
from service.regions import jurisdiction

# Events about people's conduct, not steps of the case: they stay out of the case's working
# timeline (GET /applications/{id}) and are for auditors (GET /audit/…) only.
SUPERVISION_ACTIONS = ("action_refused", "personal_data_revealed", "audit_exported")
EXPORT_PAGE = 1000
_VILLAGE_CODE_LENGTH = 12


def _after_prefix(prefix: str) -> str | None:
    """The smallest digit string above every digit string that starts with ``prefix``."""
    stem = prefix.rstrip("9")
    return stem[:-1] + str(int(stem[-1]) + 1) if stem else None


def region_within(prefix: str) -> ColumnElement[bool]:
    """Events whose region code starts with ``prefix``, as a range an index can seek
    (``LIKE 'p%'`` can use a B-tree only under the C collation)."""
    region = col(AuditEvent.region)
    if len(prefix) >= _VILLAGE_CODE_LENGTH:
        return region == prefix
    upper = _after_prefix(prefix)
    return and_(region >= prefix, region < upper) if upper else region >= prefix


def visible_to(user: User) -> ColumnElement[bool]:
    """The one scope of every trail read: the caller's county chain, their regions."""
    if not ({AUDITOR, ADMIN} & set(user.roles)):
        raise Forbidden(
            "only auditors and administrators read the audit trail", code="audit-role-required"
        )
    return and_(col(AuditEvent.county) == user.county, region_within(user.jurisdiction))


@dataclass
class EventFilter:
    application_id: int | None = None
    actor: str | None = None
    role: str | None = None
    action: str | None = None
    region: str | None = None  # a region code prefix
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    after_id: int | None = None  # the cursor: the last id of the previous page
    limit: int = 100

    def described(self) -> dict[str, Any]:
        """The filter as an export's audit event records it (set fields only)."""
        fields = {
            "application_id": self.application_id,
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "region": self.region,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {name: value for name, value in fields.items() if value is not None}


def _conditions(user: User, query: EventFilter) -> list[ColumnElement[bool]]:
    conditions = [visible_to(user)]
    if query.application_id is not None:
        conditions.append(col(AuditEvent.application_id) == query.application_id)
    if query.actor:
        conditions.append(col(AuditEvent.actor) == query.actor)
    if query.role:
        conditions.append(col(AuditEvent.role) == query.role)
    if query.action:
        conditions.append(col(AuditEvent.action) == query.action)
    if query.region:
        conditions.append(region_within(query.region))
    if query.since:
        conditions.append(col(AuditEvent.at) >= query.since)
    if query.until:
        conditions.append(col(AuditEvent.at) < query.until)
    if query.since or query.until:
        conditions.extend(_ids_of_window(user.county, query.since, query.until))
    if query.after_id:
        conditions.append(col(AuditEvent.id) > query.after_id)
    return conditions


def _ids_of_window(
    county: str, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    """The ids where a time window's events begin and end, as conditions a page can seek by.

    A page walks an index in id order; ``at`` alone tells the database nothing about where
    in that order the window lies, so a recent window would be found only after every older
    event was read and dropped. The first and the last id of the window's events (read from
    the (county, at, id) index, costing what the window holds) bound the walk exactly.
    """
    window = aliased(AuditEvent)
    where = [window.county == county]
    if since:
        where.append(window.at >= since)
    if until:
        where.append(window.at < until)
    # "+ 0": PostgreSQL would otherwise answer min(id) by walking the primary key from its
    # start, the very walk this bound is here to avoid.
    window_id = window.id + 0  # type: ignore[operator]
    bounds = []
    if since:
        first = select(func.min(window_id)).where(*where).scalar_subquery()
        bounds.append(col(AuditEvent.id) >= first)
    if until:
        last = select(func.max(window_id)).where(*where).scalar_subquery()
        bounds.append(col(AuditEvent.id) <= last)
    return bounds


@dataclass
class EventPage:
    items: list[AuditEvent]
    next_cursor: int | None


def page_statement(user: User, query: EventFilter) -> SelectOfScalar[AuditEvent]:
    """The one query of a page (bench/audit_queries.py prints its plans)."""
    return (
        select(AuditEvent)
        .where(*_conditions(user, query))
        .order_by(col(AuditEvent.id))
        .limit(query.limit + 1)  # one more: is there a next page?
    )


async def list_events(session: AsyncSession, *, user: User, query: EventFilter) -> EventPage:
    """One page of the trail in the caller's jurisdiction, oldest first."""
    events = list((await session.exec(page_statement(user, query))).all())
    more = len(events) > query.limit
    events = events[: query.limit]
    return EventPage(items=events, next_cursor=events[-1].id if more and events else None)


async def pages(
    session: AsyncSession, *, user: User, query: EventFilter, size: int = EXPORT_PAGE
) -> AsyncIterator[list[AuditEvent]]:
    """Every matching event, page by page, for exports. The read transaction ends after each
    page, so a long export holds no snapshot (on SQLite it would stop WAL checkpoints)."""
    query = replace(query, limit=size)
    while True:
        page = await list_events(session, user=user, query=query)
        session.expunge_all()
        await session.rollback()
        if page.items:
            yield page.items
        if page.next_cursor is None:
            return
        query = replace(query, after_id=page.next_cursor)


async def case_events(
    session: AsyncSession, *, user: User, application_id: int, after_id: int | None, limit: int
) -> EventPage:
    """A case's trail, oldest first; 404 when the case is not in the caller's jurisdiction."""
    visible_to(user)  # the role check first: 403 before 404
    await jurisdiction.get_visible(session, user=user, application_id=application_id)
    query = EventFilter(application_id=application_id, after_id=after_id, limit=limit)
    return await list_events(session, user=user, query=query)


def _overlap(jurisdiction: str, other: str) -> bool:
    return jurisdiction.startswith(other) or other.startswith(jurisdiction)


async def user_events(
    session: AsyncSession, *, user: User, username: str, after_id: int | None, limit: int
) -> EventPage:
    """What one user did in the caller's jurisdiction, oldest first. 404 for an unknown user
    and for one whose jurisdiction lies wholly outside the caller's."""
    visible_to(user)
    actor = (await session.exec(select(User).where(User.username == username))).first()
    if actor is None or not _overlap(user.jurisdiction, actor.jurisdiction):
        raise NotFound(f"no user {username}", code="user-not-found", params={"username": username})
    query = EventFilter(actor=username, after_id=after_id, limit=limit)
    return await list_events(session, user=user, query=query)


async def case_history(session: AsyncSession, application_id: int) -> list[AuditEvent]:
    """A case's working timeline, as its detail shows it to staff: the steps, without the
    supervision events (refusals, revealed data, exports)."""
    statement = (
        select(AuditEvent)
        .where(
            AuditEvent.application_id == application_id,
            col(AuditEvent.action).not_in(SUPERVISION_ACTIONS),
        )
        .order_by(col(AuditEvent.id))
    )
    return list((await session.exec(statement)).all())
