"""Amounts a county sets: the programs whose amount the seeds leave blank.

Seed 003 line 355 names the only-child parents' rewards with the sum left out
("每人每月**元", "各**00元"): the catalogue marks them ``amount_by_county`` and the county's
administrator sets the amount for each year here, audited. A case is taken only in a county
and year whose amount is set (409 ``program-amount-unset``), so no payout is ever computed
from an invented default.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth.models import ADMIN, User
from service.clock import local_today, utcnow
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.programs.models import Program, ProgramAmount
from service.regions import service as regions_service
from service.regions.models import COUNTY

# Years an office may set: from the first year a case could name to the year after this one
# (a county publishes next year's amount in December).
FIRST_YEAR = 2000


def unset(program: Program, *, county: str, year: int) -> Conflict:
    return Conflict(
        f"{program.code} has no amount for county {county} in {year}: the county's "
        "administrator sets it first",
        code="program-amount-unset",
        params={"program": program.code, "county": county, "year": year},
    )


async def amount_of(
    session: AsyncSession, program: Program, *, county: str, year: int
) -> ProgramAmount | None:
    return await session.get(ProgramAmount, (program.code, county, year))


async def require_set(session: AsyncSession, program: Program, *, county: str, year: int) -> None:
    """Refuse a case of a county-set program in a county and year without an amount (409)."""
    if program.amount_by_county is None:
        return
    if await amount_of(session, program, county=county, year=year) is None:
        raise unset(program, county=county, year=year)


async def _program(session: AsyncSession, code: str) -> Program:
    program = await session.get(Program, code)
    if program is None:
        raise NotFound(f"no program {code!r}", code="program-not-found", params={"program": code})
    return program


def _check(program: Program, *, year: int, amount_fen: int) -> None:
    if program.amount_by_county is None:
        raise Conflict(
            f"{program.code} pays the catalogue's amount; no county sets it",
            code="program-amount-fixed",
            params={"program": program.code},
        )
    last = local_today().year + 1
    if not FIRST_YEAR <= year <= last:
        raise InvalidInput(
            f"the year is {FIRST_YEAR} to {last}",
            field="year",
            code="program-amount-year",
            params={"year": year, "first": FIRST_YEAR, "last": last},
        )
    most = int(program.amount_by_county["max_fen"])
    if not 0 < amount_fen <= most:
        raise InvalidInput(
            f"the amount is 1 to {most} fen",
            field="amount_fen",
            code="program-amount-range",
            params={"program": program.code, "amount_fen": amount_fen, "max_fen": most},
        )


async def set_amount(
    session: AsyncSession, *, code: str, county: str, year: int, amount_fen: int, actor: User
) -> ProgramAmount:
    """Set (or change) what ``county`` pays in ``code`` for ``year``. Commits; audited with
    the amount before and after. Cases approved afterwards are paid the new amount."""
    program = await _program(session, code)
    region = await regions_service.get_region(session, county, actor=None)
    if region.level != COUNTY:
        raise InvalidInput(
            f"{county} is not a county",
            field="county",
            code="program-amount-county",
            params={"county": county},
        )
    if not actor.covers(county):
        raise Forbidden(
            f"county {county} is outside your jurisdiction",
            code="program-amount-outside-jurisdiction",
            params={"county": county},
        )
    _check(program, year=year, amount_fen=amount_fen)
    row = await session.get(ProgramAmount, (code, county, year), with_for_update=True)
    before = {"amount_fen": row.amount_fen} if row else None
    assert actor.id is not None
    if row is None:  # two first settings at once: the second insert is a 409 conflict
        row = ProgramAmount(program_code=code, county_code=county, year=year, amount_fen=0,
                            set_by=actor.id, set_at=utcnow())  # fmt: skip
    row.amount_fen, row.set_by, row.set_at = amount_fen, actor.id, utcnow()
    session.add(row)
    audit_service.record(
        session,
        action="program_amount_set",
        actor=actor,
        role=ADMIN,
        region=county,
        before=before,
        after={"program": code, "county": county, "year": year, "amount_fen": amount_fen},
    )
    await audit_service.commit(session)
    await session.refresh(row)
    return row


async def list_amounts(session: AsyncSession, *, code: str, user: User) -> list[ProgramAmount]:
    """The amounts set in the counties of the caller's jurisdiction (their own county for a
    township or village user), by county and year."""
    await _program(session, code)
    statement = (
        select(ProgramAmount)
        .where(
            ProgramAmount.program_code == code,
            col(ProgramAmount.county_code).startswith(user.jurisdiction[:6]),
        )
        .order_by(col(ProgramAmount.county_code), col(ProgramAmount.year))
    )
    return list((await session.exec(statement)).all())


def describe(program: Program) -> dict[str, Any] | None:
    """The catalogue's rule of a county-set amount, as the API shows it."""
    return dict(program.amount_by_county) if program.amount_by_county else None
