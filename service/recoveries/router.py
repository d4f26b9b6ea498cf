from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.auth.dependencies import require_acting_role, require_roles
from service.auth.models import ADMIN, AUDITOR, COUNTY_APPROVER, FINANCE_OFFICER, User
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import Cursor, PathId, QueryId
from service.recoveries import service as recoveries_service
from service.recoveries.schemas import PaymentCreate, RecoveryRead, RecoveryStatus

router = APIRouter(
    prefix="/recoveries",
    tags=["recoveries"],
    responses=problems.responses(401, 403, 404, 422),
)
Reader = Annotated[User, Depends(require_roles(FINANCE_OFFICER, COUNTY_APPROVER, AUDITOR, ADMIN))]
FinanceOfficer = Annotated[User, Depends(require_acting_role(FINANCE_OFFICER))]


@router.get("", response_model=list[RecoveryRead])
async def list_recoveries(
    user: Reader,
    session: SessionDep,
    status: RecoveryStatus | None = None,
    application_id: QueryId = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[RecoveryRead]:
    """Recoveries of cases in the caller's jurisdiction, newest first (``cursor``: last id)."""
    query = recoveries_service.RecoveryQuery(
        status=status, application_id=application_id, cursor=cursor, limit=limit
    )
    return await recoveries_service.list_recoveries(session, user=user, query=query)


@router.get("/{recovery_id}", response_model=RecoveryRead)
async def get_recovery(recovery_id: PathId, user: Reader, session: SessionDep) -> RecoveryRead:
    """One recovery with the payments recorded against it."""
    return await recoveries_service.get(session, user=user, recovery_id=recovery_id)


@router.post(
    "/{recovery_id}/payments",
    response_model=RecoveryRead,
    status_code=201,
    responses=problems.responses(409),
)
async def record_payment(
    recovery_id: PathId, body: PaymentCreate, user: FinanceOfficer, session: WriteSessionDep
) -> RecoveryRead:
    """Record money got back; the recovery closes when its balance reaches zero."""
    return await recoveries_service.record_payment(
        session, user=user, recovery_id=recovery_id, body=body
    )
