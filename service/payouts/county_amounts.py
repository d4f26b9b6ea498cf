"""What a case owes in a program whose amount the county sets (``Program.amount_by_county``).

The seeds leave these sums blank (seed 003 line 355: 光荣证 每人每月**元; 放弃二胎 夫妻双方
各**00元): the county's administrator sets one per county and year (``ProgramAmount``,
service/programs/amounts.py). The amount of the event's year in the case's county is read
here when the payout is created, never a default:

- ``unit: once``: each parent once (the couple: 2 × the amount; one applicant: 1 ×);
- ``unit: month``: the reward year is the event's year; each parent × the months of that year
  up to and including the month the child turns ``until_child_age`` (12 for a younger child).

Kept apart from payouts/service.py, which calls ``owed`` for the one-time payout.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.errors import Conflict
from service.programs.models import Program, ProgramAmount

MONTHS = 12


def child_birth_date(case: Application) -> date | None:
    """The child's birth date the caseworker gave (``child_birth_date``), or None."""
    given = (case.details or {}).get("child_birth_date")
    try:
        return date.fromisoformat(given) if isinstance(given, str) else None
    except ValueError:
        return None


def months_before_age(born: date | None, *, year: int, age: int) -> int:
    """Months of ``year`` in which the child is under ``age`` for at least part of the month
    (up to and including the birthday's month)."""
    if born is None:
        return MONTHS
    return max(0, min(MONTHS, (born.year + age - year) * MONTHS + born.month))


def parents_of(case: Application) -> int:
    """Each of the couple is paid (夫妻每人, 夫妻双方各): 2 with a spouse, else 1."""
    return 2 if case.spouse_id_number else 1


async def owed(
    session: AsyncSession, *, case: Application, program: Program
) -> tuple[int, dict[str, Any]] | None:
    """The amount and its explanation; None for a program with the catalogue's fixed amount.
    409 ``program-amount-unset`` when the county's amount of the year is not set."""
    rule = program.amount_by_county
    if rule is None:
        return None
    year, county = case.event_date.year, case.county_code
    row = await session.get(ProgramAmount, (program.code, county, year))
    if row is None:
        raise Conflict(
            f"{program.code} has no amount for county {county} in {year}: the county's "
            "administrator sets it first",
            code="program-amount-unset",
            params={"program": program.code, "county": county, "year": year},
        )
    parents = parents_of(case)
    units = 1
    if rule.get("unit") == "month":
        age = int(rule.get("until_child_age", 18))
        units = months_before_age(child_birth_date(case), year=year, age=age)
    amount = row.amount_fen * units * parents
    return amount, {
        "rule": "set_by_county",
        "program": program.code,
        "county": county,
        "year": year,
        "unit": rule.get("unit", "once"),
        "amount_per_unit_fen": row.amount_fen,
        "units": units,
        "parents": parents,
        "formula": "amount_per_unit_fen × units × parents",
        "amount_fen": amount,
    }
