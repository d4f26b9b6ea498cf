"""Program amounts 项目金额 (/programs/amounts): what the administrator's county pays, per year,
in the programs whose amount the seeds leave blank (seed 003 line 355: 光荣证 每人每月**元,
放弃二胎 各**00元).

The same service call as ``PUT /api/v1/programs/{code}/amounts/{county}/{year}``
(service/programs/amounts.py): audited, 1 fen to the catalogue's maximum, the administrator's
own county. The amount is typed in yuan (10 or 10.50), as offices write it. A refusal is said
on the page in the user's language.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import ADMIN, User
from service.clock import local_today
from service.errors import ReliefError
from service.http.deps import SessionDep, WriteSessionDep
from service.money import fen_of_yuan
from service.programs import amounts
from service.programs.models import Program
from service.web import errors as web_errors
from service.web import sessions
from service.web.deps import page_for
from service.web.i18n import N_
from service.web.templating import redirect, render

router = APIRouter()
Admin = Annotated[User, Depends(page_for(ADMIN))]
PAGE = "/programs/amounts"


async def _programs(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """The county-set programs, each with the amounts of the administrator's county."""
    statement = select(Program).where(col(Program.amount_by_county).is_not(None))
    shown = []
    for program in (await session.exec(statement.order_by(col(Program.code)))).all():
        if not program.amount_by_county:  # a JSON null
            continue
        rows = await amounts.list_amounts(session, code=program.code, user=user)
        shown.append({"program": program, "rule": program.amount_by_county, "amounts": rows})
    return shown


@router.get(PAGE)
async def amounts_page(request: Request, user: Admin, session: SessionDep) -> Response:
    """Each program's amounts by year in the county, and the form that sets one."""
    context = {
        "programs": await _programs(session, user),
        "county": user.county,
        "this_year": local_today().year,
    }
    return render(request, "program_amounts.html", context, user=user)


@router.post(PAGE)
async def set_amount(
    request: Request,
    user: Admin,
    writes: WriteSessionDep,
    program: Annotated[str, Form(max_length=64)] = "",
    year: Annotated[str, Form(max_length=4)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Set the year's amount of a program in the administrator's county."""
    fen = fen_of_yuan(amount)
    if fen is None or not year.isdigit():
        sessions.of(request).tell(
            N_("Write the amount in yuan (e.g. 10 or 10.50) and the year in four digits."),
            "error",
        )
        return redirect(request, PAGE)
    try:
        await amounts.set_amount(
            writes, code=program, county=user.county, year=int(year), amount_fen=fen, actor=user
        )
    except ReliefError as refused:
        return await web_errors.back_with_refusal(request, writes, refused, PAGE)
    sessions.of(request).tell(N_("Amount set: cases of that year are paid it from now on."))
    return redirect(request, PAGE)
