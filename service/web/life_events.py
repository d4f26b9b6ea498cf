"""Life events on the case page: the caseworker records a parent's death or a move out of the
county with its evidence; a county approver other than the recorder confirms or rejects it.

Whether a form is shown is a hint only: ``service.life_events.service`` checks role,
jurisdiction, separation of duties and the case's state again.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import ENROLLED, Application
from service.auth.models import CASEWORKER, COUNTY_APPROVER, User, acting_roles
from service.clock import local_today
from service.config import get_settings
from service.errors import InvalidInput, ReliefError
from service.http.deps import WriteSessionDep
from service.http.params import PathId
from service.http.uploads import read_limited
from service.life_events import service as life_events_service
from service.life_events.models import PENDING
from service.web import errors as web_errors
from service.web import sessions
from service.web.deps import page_for
from service.web.i18n import N_
from service.web.templating import redirect

router = APIRouter()
Caseworker = Annotated[User, Depends(page_for(CASEWORKER))]
CountyApprover = Annotated[User, Depends(page_for(COUNTY_APPROVER))]


async def context(session: AsyncSession, *, user: User, case: Application) -> dict[str, Any]:
    """What the case page's life-event section shows, and which of its forms it offers."""
    assert case.id is not None
    events = await life_events_service.of_case(session, case.id)
    pending = next((event for event in events if event.status == PENDING), None)
    roles = acting_roles(user)
    return {
        "life_events": events,
        "review_outcomes": await life_events_service.outcomes_of(session, case.id),
        "may_record_life_event": CASEWORKER in roles
        and case.status == ENROLLED
        and pending is None,
        "pending_life_event": pending
        if COUNTY_APPROVER in roles
        and case.status == ENROLLED
        and pending is not None
        and pending.recorded_by != user.id
        else None,
        "life_event_persons": ("applicant", "spouse") if case.spouse_id_number else ("applicant",),
        "today": local_today().isoformat(),
    }


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "the event's date is not a date", field="event_date", code="iso-date-expected"
        ) from None


@router.post("/applications/{application_id}/life-events")
async def record(
    request: Request,
    application_id: PathId,
    user: Caseworker,
    session: WriteSessionDep,
    kind: Annotated[str, Form(max_length=24)] = "",
    person: Annotated[str, Form(max_length=16)] = "",
    event_date: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    evidence: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Record a death or a move, as ``POST /api/v1/life-events`` does."""
    back = f"/applications/{application_id}"
    limit = get_settings().max_upload_bytes
    try:
        files = []
        if evidence is not None and evidence.filename:
            content = await read_limited(evidence, limit=limit, field="evidence", what="documents")
            files.append(life_events_service.Evidence(evidence.filename, content))
        new = life_events_service.NewEvent(
            application_id=application_id,
            kind=kind,
            event_date=_date(event_date),
            person=person or None,
            note=note,
        )
        await life_events_service.record(session, user=user, new=new, evidence=files)
    except ReliefError as refused:
        return await web_errors.back_with_refusal(request, session, refused, back)
    sessions.of(request).tell(N_("The life event was recorded; a county approver confirms it."))
    return redirect(request, back)


@router.post("/life-events/{event_id}/decision")
async def decide(
    request: Request,
    event_id: PathId,
    user: CountyApprover,
    session: WriteSessionDep,
    decision: Annotated[str, Form(max_length=16)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Confirm or reject a pending event, as ``POST /api/v1/life-events/{id}/confirm|reject``."""
    event = await life_events_service.get_visible(session, user=user, event_id=event_id)
    back = f"/applications/{event.application_id}"
    try:
        if decision == "confirm":
            await life_events_service.confirm(
                session, user=user, event_id=event_id, comment=comment
            )
        elif decision == "reject":
            await life_events_service.reject(session, user=user, event_id=event_id, comment=comment)
        else:
            sessions.of(request).tell(N_("Choose to confirm or to reject the event."), "error")
            return redirect(request, back)
    except ReliefError as refused:
        return await web_errors.back_with_refusal(request, session, refused, back)
    sessions.of(request).tell(
        N_("The life event was confirmed; what is paid changed.")
        if decision == "confirm"
        else N_("The life event was rejected; nothing changed.")
    )
    return redirect(request, back)
