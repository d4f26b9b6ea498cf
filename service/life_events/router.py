from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile

from service.auth.dependencies import CurrentUser, require_acting_role
from service.auth.models import CASEWORKER, COUNTY_APPROVER, User
from service.config import get_settings
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import MAX_ID, PathId, QueryId
from service.http.uploads import read_limited
from service.life_events import service as life_events_service
from service.life_events.models import LifeEvent, ReviewOutcome
from service.life_events.schemas import (
    Decision,
    LifeEventRead,
    LifeEventStatus,
    ReviewOutcomeRead,
)

router = APIRouter(
    prefix="/life-events",
    tags=["life events"],
    responses=problems.responses(401, 403, 404, 422),
)
Caseworker = Annotated[User, Depends(require_acting_role(CASEWORKER))]
CountyApprover = Annotated[User, Depends(require_acting_role(COUNTY_APPROVER))]


@router.post(
    "",
    response_model=LifeEventRead,
    status_code=201,
    responses=problems.responses(409, 413),
)
async def record(
    user: Caseworker,
    session: WriteSessionDep,
    application_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    kind: Annotated[str, Form(max_length=24, description="death | moved_away")],
    event_date: Annotated[dt.date, Form()],
    evidence: Annotated[UploadFile, File(description="PDF, JPEG or PNG")],
    person: Annotated[
        str | None, Form(max_length=16, description="a death: applicant | spouse")
    ] = None,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> LifeEvent:
    """Record a parent's death or the household's move out of the county on an enrolled
    case, with its evidence; it waits for the county approver."""
    limit = get_settings().max_upload_bytes
    content = await read_limited(evidence, limit=limit, field="evidence", what="documents")
    new = life_events_service.NewEvent(
        application_id=application_id, kind=kind, event_date=event_date, person=person, note=note
    )
    files = [life_events_service.Evidence(evidence.filename or "evidence", content)]
    return await life_events_service.record(session, user=user, new=new, evidence=files)


@router.get("", response_model=list[LifeEventRead])
async def list_events(
    user: CurrentUser,
    session: SessionDep,
    application_id: QueryId = None,
    status: LifeEventStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LifeEvent]:
    """Life events of cases in the caller's jurisdiction, newest first."""
    return await life_events_service.list_visible(
        session, user=user, application_id=application_id, status=status, limit=limit
    )


@router.get("/review-outcomes", response_model=list[ReviewOutcomeRead])
async def review_outcomes(
    application_id: Annotated[int, Query(ge=1, le=MAX_ID)], user: CurrentUser, session: SessionDep
) -> list[ReviewOutcome]:
    """The eligibility table's outcome at each annual review of a case, with that year's facts."""
    return await life_events_service.outcomes_visible(
        session, user=user, application_id=application_id
    )


@router.get("/{event_id}", response_model=LifeEventRead)
async def get_event(event_id: PathId, user: CurrentUser, session: SessionDep) -> LifeEvent:
    return await life_events_service.get_visible(session, user=user, event_id=event_id)


@router.post("/{event_id}/confirm", response_model=LifeEventRead, responses=problems.responses(409))
async def confirm(
    event_id: PathId, body: Decision, user: CountyApprover, session: WriteSessionDep
) -> LifeEvent:
    """Confirm the event (not its recorder): the yearly benefit changes from the year after it,
    payouts of later years are cancelled or cut, and what was paid for them is recovered."""
    return await life_events_service.confirm(
        session, user=user, event_id=event_id, comment=body.comment
    )


@router.post("/{event_id}/reject", response_model=LifeEventRead, responses=problems.responses(409))
async def reject(
    event_id: PathId, body: Decision, user: CountyApprover, session: WriteSessionDep
) -> LifeEvent:
    """Reject the event with a reason; nothing about the payments changes."""
    return await life_events_service.reject(
        session, user=user, event_id=event_id, comment=body.comment
    )
