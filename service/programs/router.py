from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from service.auth.dependencies import CurrentUser, require_roles
from service.auth.models import ADMIN, User
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.programs import amounts
from service.programs import service as programs_service
from service.programs.models import ProgramAmount
from service.programs.schemas import AmountRead, AmountSet, ProgramRead

Admin = Annotated[User, Depends(require_roles(ADMIN))]
County = Annotated[str, Path(pattern=r"^\d{6}$")]

router = APIRouter(
    prefix="/programs", tags=["programs"], responses=problems.responses(401, 404, 422)
)


@router.get("", response_model=list[ProgramRead])
async def list_programs(user: CurrentUser, session: SessionDep) -> list[ProgramRead]:
    """The program catalogue: amounts, required documents and the flow each runs on."""
    return await programs_service.list_programs(session, user=user)


@router.get("/{code}", response_model=ProgramRead)
async def get_program(code: str, user: CurrentUser, session: SessionDep) -> ProgramRead:
    return await programs_service.get_program(session, code=code, user=user)


@router.get("/{code}/amounts", response_model=list[AmountRead])
async def list_amounts(code: str, user: CurrentUser, session: SessionDep) -> list[ProgramAmount]:
    """What the caller's county pays in a program whose amount the county sets, by year."""
    return await amounts.list_amounts(session, code=code, user=user)


@router.put(
    "/{code}/amounts/{county}/{year}",
    response_model=AmountRead,
    responses=problems.responses(403, 409),
)
async def set_amount(
    code: str, county: County, year: int, body: AmountSet, user: Admin, session: WriteSessionDep
) -> ProgramAmount:
    """The county's administrator sets the year's amount (fen, per month or once, per parent)."""
    return await amounts.set_amount(
        session, code=code, county=county, year=year, amount_fen=body.amount_fen, actor=user
    )
