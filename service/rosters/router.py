from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from service.auth.dependencies import require_roles
from service.auth.models import AUDITOR, COUNTY_APPROVER, TOWNSHIP_REVIEWER, User
from service.http import downloads, problems
from service.http.deps import SessionDep
from service.rosters import service as rosters_service
from service.spreadsheets import XLSX_MEDIA_TYPE

router = APIRouter(
    prefix="/rosters", tags=["rosters"], responses=problems.responses(401, 403, 404, 422)
)
Reader = Annotated[User, Depends(require_roles(TOWNSHIP_REVIEWER, COUNTY_APPROVER, AUDITOR))]


@router.get(
    "/township.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "the roster"}},
)
async def township_roster(
    user: Reader,
    session: SessionDep,
    township: Annotated[str, Query(pattern=r"^\d{9}$")],
    program: Annotated[str, Query(min_length=1, max_length=64)],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> Response:
    """The township's roster 花名册 of a program's cases it sent up in the year (xlsx)."""
    content, name = await rosters_service.township_roster(
        session, user=user, township=township, program=program, year=year
    )
    return downloads.attachment(content, XLSX_MEDIA_TYPE, name)
