"""Supervision 督办: overdue work in the caller's jurisdiction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.auth.dependencies import CurrentUser
from service.deadlines import service as deadlines_service
from service.deadlines.schemas import OverdueReport
from service.http import problems
from service.http.deps import SessionDep

router = APIRouter(
    prefix="/supervision", tags=["supervision"], responses=problems.responses(401, 403, 422)
)


@router.get("/overdue", response_model=OverdueReport)
async def overdue(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="overdue tasks listed")] = 200,
) -> OverdueReport:
    """Tasks past their deadline, counted per township and per person (who claimed them, or
    the role when unclaimed); escalated ones carry ``escalated_at``."""
    return await deadlines_service.overdue_report(session, user=user, limit=limit)
