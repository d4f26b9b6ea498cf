"""Incidents: jobs that failed their last try. Opened by the worker, retried by an admin.

Each kind of job registers how to run it again (``register_retry``): it puts the job back in
the queue, due now; the worker does the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth.models import ADMIN, User
from service.clock import utcnow
from service.errors import Conflict, NotFound
from service.incidents.models import OPEN, RETRIED, Incident
from service.masking import mask_text

RetryHandler = Callable[[AsyncSession, int], Awaitable[None]]
_RETRY: dict[str, RetryHandler] = {}


def register_retry(kind: str, handler: RetryHandler) -> None:
    _RETRY[kind] = handler


async def open_incident(
    session: AsyncSession,
    *,
    kind: str,
    ref_id: int,
    error: str,
    attempts: int,
    application_id: int | None = None,
) -> Incident:
    """Record a job that gave up; an open incident of the same job is reused, not doubled."""
    statement = select(Incident).where(
        Incident.kind == kind, Incident.ref_id == ref_id, Incident.status == OPEN
    )
    incident = (await session.exec(statement)).first()
    if incident is None:
        incident = Incident(
            kind=kind,
            ref_id=ref_id,
            application_id=application_id,
            error="",
            attempts=attempts,
            created_at=utcnow(),
        )
    incident.error = mask_text(error)[:2000]
    incident.attempts = attempts
    session.add(incident)
    await session.flush()
    return incident


async def list_incidents(
    session: AsyncSession, *, status: str | None, limit: int = 100
) -> list[Incident]:
    statement = select(Incident).order_by(col(Incident.id).desc()).limit(limit)
    if status:
        statement = statement.where(Incident.status == status)
    return list((await session.exec(statement)).all())


async def retry(session: AsyncSession, *, incident_id: int, user: User) -> Incident:
    """Put the failed job back in the queue, due now; the incident is marked retried."""
    incident = await session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise NotFound(
            f"no incident {incident_id}",
            code="incident-not-found",
            params={"incident_id": incident_id},
        )
    if incident.status != OPEN:
        raise Conflict(
            f"incident {incident_id} was already retried",
            code="incident-already-retried",
            params={"incident_id": incident_id},
        )
    # The job modules register their handlers when imported; every entry point imports them
    # all through service.worker.loop (create_app and `relief worker`).
    handler = _RETRY.get(incident.kind)
    if handler is None:
        raise Conflict(
            f"incidents of kind {incident.kind!r} cannot be retried here",
            code="incident-kind-not-retriable",
            params={"kind": incident.kind},
        )
    await handler(session, incident.ref_id)
    incident.status, incident.retried_at, incident.retried_by = RETRIED, utcnow(), user.id
    session.add(incident)
    audit_service.record(
        session,
        action="incident_retried",
        actor=user,
        role=ADMIN,
        application_id=incident.application_id,
        after={"incident": incident.id, "kind": incident.kind, "ref_id": incident.ref_id},
    )
    await audit_service.commit(session)
    return incident
