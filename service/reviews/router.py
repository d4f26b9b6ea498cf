from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from service.auth.dependencies import require_acting_role
from service.auth.models import COUNTY_APPROVER, User
from service.http import problems
from service.http.deps import WriteSessionDep
from service.reviews import service as reviews_service

router = APIRouter(prefix="/reviews", tags=["reviews"], responses=problems.responses(401, 403, 422))
CountyApprover = Annotated[User, Depends(require_acting_role(COUNTY_APPROVER))]


class YearRequest(BaseModel):
    year: int = Field(ge=2000, le=2100)


class ReviewRunRead(BaseModel):
    year: int
    started: int
    existing: int


@router.post("/yearly", response_model=ReviewRunRead)
async def start_year(
    body: YearRequest, user: CountyApprover, session: WriteSessionDep
) -> ReviewRunRead:
    """Open the year's 年审 for every enrolled household in the caller's county; repeatable."""
    run = await reviews_service.start_year(
        session, year=body.year, region=user.jurisdiction, actor=user
    )
    return ReviewRunRead(**run.__dict__)
