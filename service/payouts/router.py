from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service import problems
from service.auth.dependencies import require_acting_role, require_roles
from service.auth.models import ADMIN, AUDITOR, COUNTY_APPROVER, FINANCE_OFFICER, User
from service.db import SessionDep, WriteSessionDep
from service.params import PathId, QueryId
from service.payouts import service as payouts_service
from service.payouts import yearly
from service.payouts.schemas import (
    Payment,
    PayoutListItem,
    PayoutPage,
    YearlyRequest,
    YearlyResult,
)

router = APIRouter(
    prefix="/payouts", tags=["payouts"], responses=problems.responses(401, 403, 404, 409, 422)
)
Finance = Annotated[User, Depends(require_acting_role(FINANCE_OFFICER))]
Reader = Annotated[User, Depends(require_roles(FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR, ADMIN))]


@router.get("", response_model=PayoutPage)
async def list_payouts(
    user: Reader,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(pending|paid|cancelled)$")] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
    application_id: QueryId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PayoutPage:
    """Payouts in the caller's jurisdiction (one-time and yearly), newest first."""
    payouts = await payouts_service.list_payouts(
        session,
        user=user,
        status=status,
        period=period,
        application_id=application_id,
        limit=limit,
    )
    return PayoutPage(items=[PayoutListItem.model_validate(p) for p in payouts])


@router.post("/yearly", response_model=YearlyResult)
async def generate_yearly(
    body: YearlyRequest, user: Finance, session: WriteSessionDep
) -> YearlyResult:
    """Create the year's payouts of enrolled households (special assistance); safe to repeat."""
    run = await yearly.generate(session, year=body.year, region=user.jurisdiction, actor=user)
    return YearlyResult(**run.__dict__)


@router.post("/{payout_id}/pay", response_model=PayoutListItem)
async def pay(
    payout_id: PathId, body: Payment, user: Finance, session: WriteSessionDep
) -> PayoutListItem:
    """Record a yearly payout as paid to the household's card, with the bank's reference."""
    payout = await payouts_service.pay(
        session, user=user, payout_id=payout_id, reference=body.bank_reference
    )
    return PayoutListItem.model_validate(payout)
