"""Once-only programs: the household's claim on a program, and the earlier cases in its way.

What "once" counts is the catalogue's (``once_per`` of workflows/programs.yaml):

- ``household``: once ever per household (紧急慰藉: the only child's death). A live case holds
  one ``household_claim`` row per identity of the household, and the primary key refuses a
  second case sharing any of them, even when two submissions race.
- ``household_event``: once per household and event (特困救助: "每户一次性5000元" for a hardship
  event; a household hit by a second, different event later is a new case). The claim keys
  carry the event, so the primary key refuses the same event twice; a different event of the
  household counts only ``min_interval_months`` after (or before) the event of each of its
  earlier cases that still holds a claim.

The household is whoever shares an identity with the case: the applicant's or the spouse's
resident ID number (as applicant or as spouse), or the bank card. The same event is the same
household with the same event kind and the same event date. A case holds its claim until it is
rejected or withdrawn (a revoked case keeps it). The interval is read from the cases, under a
lock on the household's identities (PostgreSQL: transaction-scoped advisory locks, taken in
sorted order; SQLite: a write transaction holds the database lock from its start, BEGIN
IMMEDIATE), so two submissions at once still make one case.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application, HouseholdClaim
from service.auth.models import User
from service.errors import DuplicateCase, ReliefError
from service.programs.models import Program
from service.regions import jurisdiction

HOUSEHOLD, HOUSEHOLD_EVENT = "household", "household_event"
ONCE_PER = (HOUSEHOLD, HOUSEHOLD_EVENT)
# The first key of this module's advisory locks (the second: the identity's hash).
_LOCK_SPACE = 0x4843  # "HC", household claim


def identities_of(case: Application) -> list[str]:
    """The identities of the household: both parents' resident IDs and its bank card."""
    people = [case.applicant_id_number, *([case.spouse_id_number] if case.spouse_id_number else [])]
    return [f"id:{number}" for number in people] + [f"card:{case.bank_card}"]


def claim_keys_of(case: Application, program: Program) -> list[str]:
    """The keys the case holds: its identities, with the event where the program counts
    events (``id:<resident ID>|<event kind>|<event date>``)."""
    if program.once_per != HOUSEHOLD_EVENT:
        return identities_of(case)
    event = f"|{case.event_kind}|{case.event_date.isoformat()}"
    return [identity + event for identity in identities_of(case)]


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class TooSoon(ReliefError):
    status, type, title = 409, "household-event-too-soon", "Too soon after the household's case"


async def duplicate_of(
    session: AsyncSession, *, user: User, program_code: str, existing: int | None
) -> DuplicateCase:
    """The refusal naming the household's case ``existing`` when the caller may see it."""
    visible = (
        existing is not None
        and (
            await session.exec(
                select(Application.id).where(
                    Application.id == existing, jurisdiction.visible_to(user)
                )
            )
        ).first()
    )
    if visible:
        return DuplicateCase(
            f"this household already has case {existing} in program {program_code}",
            existing_application_id=existing,
            code="duplicate-case",
            params={"existing_application_id": existing, "program": program_code},
        )
    # Outside the caller's jurisdiction: refuse without saying where or which case.
    return DuplicateCase(
        f"this household already has a case in program {program_code}, in another jurisdiction",
        code="duplicate-case-elsewhere",
        params={"program": program_code},
    )


async def duplicate_problem(
    session: AsyncSession, *, user: User, program_code: str, claim_keys: list[str]
) -> DuplicateCase:
    """The refusal of a case whose claim keys the database refused: it names the holder."""
    statement = select(HouseholdClaim.application_id).where(
        HouseholdClaim.program_code == program_code, col(HouseholdClaim.claim_key).in_(claim_keys)
    )
    existing = (await session.exec(statement)).first()
    return await duplicate_of(session, user=user, program_code=program_code, existing=existing)


async def _lock_household(session: AsyncSession, *, program: Program, case: Application) -> None:
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return  # SQLite: the write transaction holds the database lock already
    for identity in sorted(identities_of(case)):
        await connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
            {"space": _LOCK_SPACE, "key": f"{program.code}:{identity}"},
        )


async def _held_cases(
    session: AsyncSession, *, program: Program, case: Application
) -> list[Application]:
    """The household's other cases in the program that hold a claim, latest event first."""
    ids = [number for number in (case.applicant_id_number, case.spouse_id_number) if number]
    holding = select(HouseholdClaim.application_id).where(
        HouseholdClaim.program_code == program.code
    )
    statement = select(Application).where(
        Application.program_code == program.code,
        col(Application.id).in_(holding),
        or_(
            col(Application.applicant_id_number).in_(ids),
            col(Application.spouse_id_number).in_(ids),
            Application.bank_card == case.bank_card,
        ),
    )
    if case.id is not None:
        statement = statement.where(Application.id != case.id)
    statement = statement.order_by(col(Application.event_date).desc(), col(Application.id))
    return list((await session.exec(statement)).all())


@dataclass(frozen=True)
class Earlier:
    case_id: int
    event_date: date
    possible_from: date


def _in_the_way(program: Program, case: Application, held: list[Application]) -> Earlier | None:
    months = program.min_interval_months or 0
    blockers = [
        other
        for other in held
        if case.event_date < add_months(other.event_date, months)
        and other.event_date < add_months(case.event_date, months)
    ]
    if not blockers:
        return None
    blocker = blockers[0]  # the one whose event is latest
    assert blocker.id is not None
    return Earlier(blocker.id, blocker.event_date, add_months(held[0].event_date, months))


async def check_events(
    session: AsyncSession, *, user: User, program: Program, case: Application
) -> ReliefError | None:
    """For a program counted per household and event: the refusal of ``case`` when the
    household has the same event in a live case (``duplicate-case``) or an event within the
    minimum interval (``household-event-too-soon``); None otherwise, or for other programs.

    Takes the household's lock first: the answer holds until the transaction ends."""
    if program.once_per != HOUSEHOLD_EVENT:
        return None
    await _lock_household(session, program=program, case=case)
    held = await _held_cases(session, program=program, case=case)
    for other in held:
        if (other.event_kind, other.event_date) == (case.event_kind, case.event_date):
            return await duplicate_of(
                session, user=user, program_code=program.code, existing=other.id
            )
    earlier = _in_the_way(program, case, held)
    if earlier is None:
        return None
    return await _too_soon(session, user=user, program=program, case=case, earlier=earlier)


async def _too_soon(
    session: AsyncSession, *, user: User, program: Program, case: Application, earlier: Earlier
) -> TooSoon:
    months = program.min_interval_months or 0
    params: dict[str, object] = {
        "program": program.code,
        "min_interval_months": months,
        "possible_from": earlier.possible_from.isoformat(),
    }
    visible = (
        await session.exec(
            select(Application.id).where(
                Application.id == earlier.case_id, jurisdiction.visible_to(user)
            )
        )
    ).first()
    if not visible:
        # Outside the caller's jurisdiction: the date a new event counts from, not the case.
        return TooSoon(
            f"this household has a case in program {program.code} in another jurisdiction "
            f"whose event is less than {months} months from this one; an event from "
            f"{earlier.possible_from.isoformat()} on can be a new case",
            code="household-event-too-soon-elsewhere",
            params=params,
        )
    return TooSoon(
        f"this household has case {earlier.case_id} in program {program.code}, for an event "
        f"of {earlier.event_date.isoformat()}, less than {months} months from this one "
        f"({case.event_date.isoformat()}); an event from {earlier.possible_from.isoformat()} "
        "on can be a new case",
        existing_application_id=earlier.case_id,
        code="household-event-too-soon",
        params={
            **params,
            "existing_application_id": earlier.case_id,
            "existing_event_date": earlier.event_date.isoformat(),
        },
    )
