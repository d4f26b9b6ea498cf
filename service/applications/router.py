from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, Response, UploadFile

from service.applications import corrections, revocation, views
from service.applications import service as applications_service
from service.applications.schemas import (
    CASEWORKER_DOCUMENT_KINDS,
    ApplicationCreate,
    ApplicationDetail,
    ApplicationEdit,
    ApplicationPage,
    DocumentRead,
    Withdrawal,
)
from service.auth.dependencies import CurrentUser, require_acting_role
from service.auth.models import CASEWORKER, COUNTY_APPROVER, User
from service.config import get_settings
from service.errors import InvalidInput
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import Cursor, PathId, QueryDate, QueryId, RegionPrefix
from service.http.uploads import read_limited
from service.regions import jurisdiction

router = APIRouter(
    prefix="/applications",
    tags=["applications"],
    responses=problems.responses(401, 403, 404, 409, 413, 422),
)
Caseworker = Annotated[User, Depends(require_acting_role(CASEWORKER))]
CountyApprover = Annotated[User, Depends(require_acting_role(COUNTY_APPROVER))]


@router.post("", response_model=ApplicationDetail, status_code=201)
async def submit(
    body: ApplicationCreate,
    response: Response,
    user: Caseworker,
    session: WriteSessionDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ApplicationDetail:
    """Submit a case for a village in the caller's jurisdiction."""
    submitted = await applications_service.submit(
        session, user=user, body=body, idempotency_key=idempotency_key
    )
    if submitted.replayed:
        response.status_code = 200
    return await views.detail(session, submitted.case)


@router.get("", response_model=ApplicationPage)
async def list_applications(
    user: CurrentUser,
    session: SessionDep,
    number: QueryId = None,
    name: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    id_suffix: Annotated[str | None, Query(pattern=applications_service.ID_SUFFIX)] = None,
    program: str | None = None,
    status: str | None = None,
    region: RegionPrefix = None,
    submitted_from: QueryDate = None,
    submitted_to: QueryDate = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ApplicationPage:
    """Cases in the caller's jurisdiction, newest first; pass ``next_cursor`` for the next page.
    ``number`` is a case number, ``name`` part of the applicant's name, ``id_suffix`` the last 4
    to 6 characters of the applicant's resident ID number."""
    query = applications_service.CaseQuery(
        number=number,
        name=name.strip() or None if name else None,
        id_suffix=id_suffix,
        program=program,
        status=status,
        region=region,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
        cursor=cursor,
        limit=limit,
    )
    cases = await applications_service.list_cases(session, user=user, query=query)
    next_cursor = cases[-1].id if len(cases) == limit else None
    return ApplicationPage(items=await views.summaries(session, cases), next_cursor=next_cursor)


@router.get("/{application_id}", response_model=ApplicationDetail)
async def get_application(
    application_id: PathId, user: CurrentUser, session: SessionDep
) -> ApplicationDetail:
    """A case with its open tasks, documents, timeline and payout."""
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    return await views.detail(session, case)


async def _read_limited(file: UploadFile, *, field: str) -> bytes:
    """A document or revocation evidence: bounded by RELIEF_MAX_UPLOAD_BYTES, never empty."""
    limit = get_settings().max_upload_bytes
    return await read_limited(file, limit=limit, field=field, what="documents")


@router.post("/{application_id}/documents", response_model=DocumentRead, status_code=201)
async def add_document(
    application_id: PathId,
    user: Caseworker,
    session: WriteSessionDep,
    kind: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> DocumentRead:
    """Attach a document (PDF, JPEG or PNG) of one of the known kinds."""
    if kind not in CASEWORKER_DOCUMENT_KINDS:
        raise InvalidInput(
            f"unknown document kind; one of {', '.join(CASEWORKER_DOCUMENT_KINDS)}",
            field="kind",
            code="document-kind-unknown",
            params={"kinds": list(CASEWORKER_DOCUMENT_KINDS)},
        )
    content = await _read_limited(file, field="file")
    document = await applications_service.add_document(
        session,
        user=user,
        application_id=application_id,
        kind=kind,
        filename=file.filename or "document",
        content=content,
    )
    return DocumentRead.model_validate(document)


@router.post("/{application_id}/withdraw", response_model=ApplicationDetail)
async def withdraw(
    application_id: PathId, body: Withdrawal, user: Caseworker, session: WriteSessionDep
) -> ApplicationDetail:
    """Withdraw a case before county approval (the household's wish), with the reason."""
    case = await applications_service.withdraw(
        session, user=user, application_id=application_id, reason=body.reason
    )
    return await views.detail(session, case)


@router.post("/{application_id}/revoke", response_model=ApplicationDetail)
async def revoke(
    application_id: PathId,
    user: CountyApprover,
    session: WriteSessionDep,
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    evidence: Annotated[list[UploadFile], File(description="PDF, JPEG or PNG; one or more")],
) -> ApplicationDetail:
    """Revoke a county-approved case (fraud or ineligibility found later) with the evidence;
    money already paid becomes a recovery."""
    files = [
        revocation.Evidence(
            filename=file.filename or "evidence",
            content=await _read_limited(file, field="evidence"),
        )
        for file in evidence
    ]
    case = await revocation.revoke(
        session, user=user, application_id=application_id, reason=reason, evidence=files
    )
    return await views.detail(session, case)


@router.patch("/{application_id}", response_model=ApplicationDetail)
async def correct(
    application_id: PathId, body: ApplicationEdit, user: Caseworker, session: WriteSessionDep
) -> ApplicationDetail:
    """Correct a case while it is with the caseworker; the trail shows what changed."""
    case = await corrections.correct(session, user=user, application_id=application_id, edit=body)
    return await views.detail(session, case)
