"""Public notices 公示 (no login), objections 举报 to them, recipients per year, and the county's
view of the objections to a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from service import problems
from service.applications import service as applications_service
from service.auth.dependencies import require_roles
from service.auth.models import AUDITOR, COUNTY_APPROVER, User
from service.db import SessionDep, WriteSessionDep
from service.masking import mask_id_number, mask_name, mask_phone, mask_text
from service.money import amount_cny
from service.notices import objections
from service.notices import service as notices_service
from service.notices.schemas import (
    NoticePage,
    NoticeRead,
    ObjectionCreate,
    ObjectionRead,
    ObjectionReceipt,
    RecipientPage,
    RecipientRead,
)
from service.params import Cursor, PathId

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
    rows = await notices_service.live_notices(
        session, county=county, township=township, after=after, limit=limit + 1
    )
    names = await notices_service.program_names(session)
    items = [
        NoticeRead(
            id=notice.id or 0,
            program=notice.program_code,
            program_name=names.get(notice.program_code, notice.program_code),
            county=notice.county_code,
            township=notice.township_code,
            township_name=township_name,
            village=notice.village_code,
            village_name=village_name,
            name=notice.name_masked,
            id_number=notice.id_number_masked,
            amount_fen=notice.amount_fen,
            amount=amount_cny(notice.amount_fen) if notice.amount_fen is not None else None,
            opens_at=notice.opens_at,
            ends_at=notice.ends_at,
            state=notice.state,
        )
        for notice, township_name, village_name in rows[:limit]
    ]
    more = len(rows) > limit
    return NoticePage(items=items, next_cursor=items[-1].id if more else None)


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
    rows = await notices_service.recipients(
        session, county=county, year=year, program=program, after=after, limit=limit + 1
    )
    names = await notices_service.program_names(session)
    items = [
        RecipientRead(
            program=case.program_code,
            program_name=names.get(case.program_code, case.program_code),
            township_name=township_name,
            village=case.village_code,
            village_name=village_name,
            name=mask_name(case.applicant_name),
            id_number=mask_id_number(case.applicant_id_number) or "",
            period=payout.period,
            amount_fen=payout.amount_fen,
            amount=amount_cny(payout.amount_fen),
            paid_on=payout.paid_at.date() if payout.paid_at else None,
        )
        for payout, case, township_name, village_name in rows[:limit]
    ]
    more = len(rows) > limit
    return RecipientPage(items=items, next_cursor=rows[limit - 1][0].id if more else None)


Examiner = Annotated[User, Depends(require_roles(COUNTY_APPROVER, AUDITOR))]


@router.get("/applications/{application_id}/objections", response_model=list[ObjectionRead])
async def list_objections(
    application_id: PathId, user: Examiner, session: SessionDep
) -> list[ObjectionRead]:
    """The objections to a case, for the county approver who examines them (with the contact
    the objector gave) and auditors (contact masked). Numbers typed into the text are masked."""
    case = await applications_service.get_visible(session, user=user, application_id=application_id)
    assert case.id is not None
    examiner = COUNTY_APPROVER in user.roles
    return [
        ObjectionRead(
            id=item.id or 0,
            notice_id=item.notice_id,
            text=mask_text(item.text),
            contact=item.contact if examiner else _masked_contact(item.contact),
            received_at=item.received_at,
            resolution=item.resolution,
            resolved_at=item.resolved_at if item.resolved_at else None,
        )
        for item in await notices_service.of_case(session, case.id)
    ]


def _masked_contact(contact: str | None) -> str | None:
    if not contact:
        return contact
    return mask_phone(contact) if contact.isdigit() else mask_text(contact)
