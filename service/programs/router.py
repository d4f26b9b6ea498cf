from __future__ import annotations

from fastapi import APIRouter

from service.auth.dependencies import CurrentUser
from service.http import problems
from service.http.deps import SessionDep
from service.programs import service as programs_service
from service.programs.schemas import ProgramRead

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
