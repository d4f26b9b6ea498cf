from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse

from service.applications.models import Application
from service.audit import exports, queries, reveal
from service.audit import service as audit_service
from service.audit.schemas import (
    EventPage,
    EventRead,
    RevealedCase,
    RevealRequest,
    VerifyReport,
)
from service.auth.dependencies import require_roles
from service.auth.models import ADMIN, AUDITOR, User
from service.http import downloads, problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import Cursor, PathId, QueryId, QueryInstant, RegionPrefix
from service.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from service.text import Line

router = APIRouter(prefix="/audit", tags=["audit"], responses=problems.responses(401, 403, 422))
Supervisor = Annotated[User, Depends(require_roles(AUDITOR, ADMIN))]
Auditor = Annotated[User, Depends(require_roles(AUDITOR))]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _filters(
    application_id: QueryId = None,
    # Plain lines: an export records its filter in the trail.
    actor: Annotated[Line | None, Query(min_length=1, max_length=64)] = None,
    role: Annotated[Line | None, Query(min_length=1, max_length=40)] = None,
    action: Annotated[Line | None, Query(min_length=1, max_length=40)] = None,
    region: RegionPrefix = None,
    since: QueryInstant = None,
    until: QueryInstant = None,
) -> queries.EventFilter:
    """The filters of the list and of the exports: ``since`` inclusive, ``until`` exclusive."""
    return queries.EventFilter(
        application_id=application_id,
        actor=actor,
        role=role,
        action=action,
        region=region,
        since=since,
        until=until,
    )


Filters = Annotated[queries.EventFilter, Depends(_filters)]


def _page(page: queries.EventPage) -> EventPage:
    return EventPage(
        items=[EventRead.model_validate(e) for e in page.items], next_cursor=page.next_cursor
    )


@router.get("/events", response_model=EventPage)
async def list_events(
    user: Supervisor,
    session: SessionDep,
    filters: Filters,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> EventPage:
    """The trail in the caller's jurisdiction, oldest first; ``next_cursor`` pages on."""
    query = replace(filters, after_id=cursor, limit=limit)
    return _page(await queries.list_events(session, user=user, query=query))


def _file(export: exports.Export) -> StreamingResponse:
    return downloads.streamed_attachment(export.chunks, export.media_type, export.filename)


@router.get(
    "/events.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "UTF-8 with BOM"}},
)
async def export_csv(
    user: Supervisor, session: SessionDep, writes: WriteSessionDep, filters: Filters
) -> StreamingResponse:
    """The filtered trail as CSV, streamed; the export itself is audited."""
    return _file(await exports.export(session, writes, user=user, query=filters, format_="csv"))


@router.get(
    "/events.xlsx",
    response_class=StreamingResponse,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "one sheet"}},
)
async def export_xlsx(
    user: Supervisor, session: SessionDep, writes: WriteSessionDep, filters: Filters
) -> StreamingResponse:
    """The filtered trail as xlsx, streamed; the export itself is audited."""
    return _file(await exports.export(session, writes, user=user, query=filters, format_="xlsx"))


@router.get("/cases/{application_id}", response_model=EventPage, responses=problems.responses(404))
async def case_events(
    application_id: PathId,
    user: Supervisor,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = 1000,
) -> EventPage:
    """A case's trail, oldest first, refusals and reveals included."""
    page = await queries.case_events(
        session, user=user, application_id=application_id, after_id=cursor, limit=limit
    )
    return _page(page)


@router.get("/users/{username}", response_model=EventPage, responses=problems.responses(404))
async def user_events(
    username: Annotated[str, Path(min_length=1, max_length=64)],
    user: Supervisor,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> EventPage:
    """What one user did in the caller's jurisdiction, oldest first."""
    page = await queries.user_events(
        session, user=user, username=username, after_id=cursor, limit=limit
    )
    return _page(page)


@router.post(
    "/cases/{application_id}/reveal",
    response_model=RevealedCase,
    responses=problems.responses(404, 429),
)
async def reveal_case(
    application_id: PathId,
    body: RevealRequest,
    user: Auditor,
    session: WriteSessionDep,
    response: Response,
) -> Application:
    """A case's resident IDs, bank card and phone in full, for a county auditor with a reason;
    audited, and limited per auditor per hour."""
    response.headers["Cache-Control"] = "no-store"  # full numbers: no copy in any cache
    return await reveal.reveal(
        session, user=user, application_id=application_id, reason=body.reason
    )


@router.get("/verify", response_model=VerifyReport)
async def verify(user: Supervisor, session: SessionDep) -> VerifyReport:
    """Recompute the caller's county chain and report the first broken link."""
    report = await audit_service.verify(session, counties=[user.county])
    return VerifyReport(**report.__dict__)
