"""Incidents for administrators: what the worker gave up on, and a way to try again."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from service.auth.dependencies import require_roles
from service.auth.models import ADMIN, User
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import PathId
from service.incidents import service as incidents_service
from service.incidents.schemas import IncidentRead

router = APIRouter(
    prefix="/incidents", tags=["incidents"], responses=problems.responses(401, 403, 404, 422)
)
Admin = Annotated[User, Depends(require_roles(ADMIN))]


@router.get("", response_model=list[IncidentRead])
async def list_incidents(
    user: Admin,
    session: SessionDep,
    status: Literal["open", "retried"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[IncidentRead]:
    """Background jobs that failed their last try, newest first."""
    found = await incidents_service.list_incidents(session, status=status, limit=limit)
    return [IncidentRead.model_validate(incident) for incident in found]


@router.post("/{incident_id}/retry", response_model=IncidentRead, responses=problems.responses(409))
async def retry_incident(
    incident_id: PathId, user: Admin, session: WriteSessionDep
) -> IncidentRead:
    """Queue the failed job again, due now (once: a retried incident answers 409)."""
    incident = await incidents_service.retry(session, incident_id=incident_id, user=user)
    return IncidentRead.model_validate(incident)
