"""Public notices 公示 (no login), objections 举报 to them, recipients per year, and the county's
view of the objections to a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from service.applications import objections
from service.auth.dependencies import require_roles
from service.auth.models import AUDITOR, COUNTY_APPROVER, User
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import Cursor, PathId
from service.masking import mask_contact, mask_text
from service.notices import public
from service.notices import service as notices_service
from service.notices.schemas import (
    NoticePage,
    ObjectionCreate,
    ObjectionRead,
    ObjectionReceipt,
    RecipientPage,
)
from service.regions import jurisdiction

public_router = APIRouter(prefix="/public", tags=["public"], responses=problems.responses(422))
router = APIRouter(tags=["notices"], responses=problems.responses(401, 403, 404, 422))

CountyCode = Annotated[str, Query(pattern=r"^\d{6}$", description="6-digit county code")]
TownshipCode = Annotated[str | None, Query(pattern=r"^\d{9}$")]
PageSize = Annotated[int, Query(ge=1, le=500)]


@public_router.get("/notices", response_model=NoticePage)
async def list_notices(
    session: SessionDep,
    county: CountyCode,
    township: TownshipCode = None,
    after: Cursor = None,
    limit: PageSize = 100,
) -> NoticePage:
    """Cases on public notice in a county (or one township): masked, no login needed."""
    return await public.notice_page(
        session, county=county, township=township, after=after, limit=limit
    )


@public_router.post(
    "/notices/{notice_id}/objections",
    response_model=ObjectionReceipt,
    status_code=202,
    responses=problems.responses(404, 409, 413, 429),
)
async def raise_objection(
    notice_id: PathId, body: ObjectionCreate, request: Request, session: WriteSessionDep
) -> ObjectionReceipt:
    """Object to a case on notice (举报). The county examines it; the payout waits meanwhile.
    Limited per client address (429 with Retry-After) and in size."""
    address = request.client.host if request.client else "unknown"
    given = objections.ObjectionInput(text=body.text, contact=body.contact, address=address)
    objection, notice = await objections.receive_with_retry(
        session, notice_id=notice_id, given=given
    )
    return ObjectionReceipt(
        id=objection.id or 0,
        notice_id=notice_id,
        received_at=objection.received_at,
        notice_state=notice.state,
    )


@public_router.get("/recipients", response_model=RecipientPage)
async def list_recipients(
    session: SessionDep,
    county: CountyCode,
    year: Annotated[int, Query(ge=2000, le=2100)],
    program: Annotated[str | None, Query(max_length=64)] = None,
    after: Cursor = None,
    limit: PageSize = 500,
) -> RecipientPage:
    """Who received a benefit in a county and year (奖扶/特扶 公开): masked, no login needed."""
    return await public.recipient_page(
        session, county=county, year=year, program=program, after=after, limit=limit
    )


Examiner = Annotated[User, Depends(require_roles(COUNTY_APPROVER, AUDITOR))]


@router.get("/applications/{application_id}/objections", response_model=list[ObjectionRead])
async def list_objections(
    application_id: PathId, user: Examiner, session: SessionDep
) -> list[ObjectionRead]:
    """The objections to a case, for the county approver who examines them (with the contact
    the objector gave) and auditors (contact masked). Numbers typed into the text are masked."""
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    assert case.id is not None
    examiner = COUNTY_APPROVER in user.roles
    return [
        ObjectionRead(
            id=item.id or 0,
            notice_id=item.notice_id,
            text=mask_text(item.text),
            contact=item.contact if examiner else mask_contact(item.contact),
            received_at=item.received_at,
            resolution=item.resolution,
            resolved_at=item.resolved_at if item.resolved_at else None,
        )
        for item in await notices_service.of_case(session, case.id)
    ]
