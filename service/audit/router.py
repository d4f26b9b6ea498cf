from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service import problems
from service.audit import service as audit_service
from service.audit.schemas import EventPage, EventRead, VerifyReport
from service.auth.dependencies import require_roles
from service.auth.models import ADMIN, AUDITOR, User
from service.db import SessionDep
from service.params import Cursor, QueryId, QueryInstant, RegionPrefix

router = APIRouter(prefix="/audit", tags=["audit"], responses=problems.responses(401, 403, 422))
Supervisor = Annotated[User, Depends(require_roles(AUDITOR, ADMIN))]


@router.get("/events", response_model=EventPage)
async def list_events(
    user: Supervisor,
    session: SessionDep,
    application_id: QueryId = None,
    actor: str | None = None,
    action: str | None = None,
    region: RegionPrefix = None,
    since: QueryInstant = None,
    until: QueryInstant = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    """The trail in the caller's jurisdiction, oldest first; ``next_cursor`` pages on."""
    query = audit_service.EventFilter(
        application_id=application_id,
        actor=actor,
        action=action,
        region=region,
        since=since,
        until=until,
        after_id=cursor,
        limit=limit,
    )
    events = await audit_service.list_events(session, user=user, query=query)
    next_cursor = events[-1].id if len(events) == limit else None
    return EventPage(items=[EventRead.model_validate(e) for e in events], next_cursor=next_cursor)


@router.get("/verify", response_model=VerifyReport)
async def verify(user: Supervisor, session: SessionDep) -> VerifyReport:
    """Recompute the caller's county chain and report the first broken link."""
    report = await audit_service.verify(session, counties=[user.county])
    return VerifyReport(**report.__dict__)
