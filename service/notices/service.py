"""Public notice 公示 after county approval, objections 举报, and the public list of recipients.

The flow decides when a notice runs and what an objection does: after county approval it waits
at an event-based gateway (``notice``) for its timer (the notice's end) or the ``objection``
signal, which opens the county task 核查举报 (``objection_review``). The payout or enrolment
comes only after that gateway, so an objection holds the money until the county resolves it.
This module keeps the public side in step: a notice row per window (masked copies only), the
objections, and the lists anyone may read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm import aliased, load_only
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import (
    APPROVED,
    ENROLLED,
    HELD,
    NOTICE,
    REVOKED,
    Application,
)
from service.auth.models import User
from service.clock import local_year_bounds, utcnow
from service.config import get_settings
from service.engine import Instance, provide
from service.errors import InvalidInput
from service.masking import mask_id_number, mask_name
from service.notices import models
from service.notices.models import Objection, PublicNotice
from service.payouts import county_amounts
from service.payouts.models import ONCE, PAID, PAYEE_HOUSEHOLD, Payout
from service.payouts.yearly import parents_enrolled, yearly_amount_fen
from service.programs.models import BenefitStandard, Program
from service.regions.models import Region

# The element ids the flows use, by convention (see ``service.applications.progress``).
NOTICE_PREFIX = "notice"
OBJECTION_SIGNAL = "objection"
PUBLIC_ACTOR = "public"  # who the trail names for an objection: anyone, not logged in


def notice_end(data: dict[str, Any], step: str) -> str:
    """The ISO instant a notice opened now ends (``notice_end('notice')`` in a flow), after
    ``RELIEF_NOTICE_DAYS`` calendar days."""
    days = get_settings().notice_days
    now = utcnow()
    if days == 0:
        # A zero-day notice (tests, demos) ends as it opens. SpiffWorkflow fires a date timer
        # only once it is strictly past, so the end is put a second before now.
        return (now - timedelta(seconds=1)).isoformat()
    return (now + timedelta(days=days)).isoformat()


def install() -> None:
    """Offer ``notice_end(step)`` to flow expressions (each process, at start)."""
    provide("notice_end", notice_end)


# --- keeping notices in step with their case ---------------------------------------------------


async def _yearly_amount(session: AsyncSession, program: Program, case: Application) -> int | None:
    """A yearly benefit's sum for the current year, as the family's card will get it (None:
    no standard). The pension premium the county pays to the fund on the parents' behalf is
    not the family's money and is not on the notice."""
    year = utcnow().year
    standard = await session.get(BenefitStandard, (program.code, year, case.event_kind))
    if standard is None:
        return None
    return yearly_amount_fen(program, standard, parents_enrolled(case))


async def _one_time_amount(session: AsyncSession, program: Program, case: Application) -> int:
    """The catalogue's amount, or the county's of the event year where the county sets it
    (payouts/county_amounts.py): never 0 for an amount the seeds leave blank."""
    owed = await county_amounts.owed(session, case=case, program=program)
    return owed[0] if owed else program.amount_fen


async def _open(
    session: AsyncSession, *, case: Application, program: Program, ends_at: datetime | None
) -> PublicNotice:
    assert case.id is not None
    now = utcnow()
    amount = (
        await _yearly_amount(session, program, case)
        if program.kind == "yearly"
        else await _one_time_amount(session, program, case)
    )
    notice = PublicNotice(
        application_id=case.id,
        program_code=case.program_code,
        county_code=case.village_code[:6],
        township_code=case.village_code[:9],
        village_code=case.village_code,
        name_masked=mask_name(case.applicant_name),
        id_number_masked=mask_id_number(case.applicant_id_number) or "",
        amount_fen=amount,
        opens_at=now,
        # A flow that waits at a notice without a timer still shows the configured window.
        ends_at=ends_at or now + timedelta(days=get_settings().notice_days),
        state=models.OPEN,
    )
    session.add(notice)
    await session.flush()
    return notice


async def _live_notice(session: AsyncSession, application_id: int) -> PublicNotice | None:
    statement = select(PublicNotice).where(
        PublicNotice.application_id == application_id, col(PublicNotice.state).in_(models.LIVE)
    )
    return (await session.exec(statement)).first()


def _closing_state(status: str) -> str:
    if status in (APPROVED, ENROLLED):
        return models.PASSED
    return models.REVOKED if status == REVOKED else models.RETURNED


def _resolution(status: str) -> str:
    if status in (NOTICE, APPROVED, ENROLLED):
        return models.DISMISSED
    return models.UPHELD if status == REVOKED else models.SENT_BACK


async def follow(
    session: AsyncSession,
    *,
    case: Application,
    program: Program,
    before: str,
    status: str,
    instance: Instance | None,
    actor: User | None,
) -> None:
    """The case moved from ``before`` to ``status``: open, hold, reopen or close its notice,
    and record how the county resolved the objections it examined."""
    assert case.id is not None
    if status == NOTICE and before not in (NOTICE, HELD):
        ends_at = instance.due_at(NOTICE_PREFIX) if instance is not None else None
        await _open(session, case=case, program=program, ends_at=ends_at)
        return
    notice = await _live_notice(session, case.id)
    if notice is None:
        return
    if status in (NOTICE, HELD):
        notice.state = models.OPEN if status == NOTICE else models.HELD
    else:
        notice.state, notice.closed_at = _closing_state(status), utcnow()
    session.add(notice)
    if before == HELD and status != HELD:
        await session.exec(
            update(Objection)
            .where(col(Objection.application_id) == case.id, col(Objection.resolution).is_(None))
            .values(
                resolution=_resolution(status),
                resolved_at=utcnow(),
                resolved_by=actor.id if actor else None,
            )
        )


# --- objections ------------------------------------------------------------------------------


async def of_case(session: AsyncSession, application_id: int) -> list[Objection]:
    statement = (
        select(Objection)
        .where(Objection.application_id == application_id)
        .order_by(col(Objection.id))
    )
    return list((await session.exec(statement)).all())


# --- what anyone may read --------------------------------------------------------------------


def _check_region(county: str, township: str | None) -> None:
    if not (len(county) == 6 and county.isdigit()):
        raise InvalidInput(
            "county is a 6-digit region code", field="county", code="county-code-invalid"
        )
    if township is not None and not (
        len(township) == 9 and township.isdigit() and township.startswith(county)
    ):
        raise InvalidInput(
            "township is a 9-digit code inside the county",
            field="township",
            code="township-code-invalid",
        )


# What the list of recipients shows of a case (masked): not its workflow state or bank card.
_SHOWN_OF_CASE = ("program_code", "village_code", "applicant_name", "applicant_id_number")
Village = aliased(Region)
Township = aliased(Region)


async def program_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.exec(select(Program.code, Program.name_zh))).all())


async def live_notices(
    session: AsyncSession, *, county: str, township: str | None, after: int | None, limit: int
) -> list[tuple[PublicNotice, str, str]]:
    """Notices now on show in a county (or township), with township and village names: open
    ones until their end, and held ones until the county resolves the objection."""
    _check_region(county, township)
    now = utcnow()
    statement = (
        select(PublicNotice, col(Township.name), col(Village.name))
        .join(Village, col(Village.code) == PublicNotice.village_code)
        .join(Township, col(Township.code) == PublicNotice.township_code)
        .where(
            PublicNotice.county_code == county,
            or_(
                col(PublicNotice.state) == models.HELD,
                (col(PublicNotice.state) == models.OPEN) & (col(PublicNotice.ends_at) > now),
            ),
        )
        .order_by(col(PublicNotice.id))
        .limit(limit)
    )
    if township is not None:
        statement = statement.where(PublicNotice.township_code == township)
    if after is not None:
        statement = statement.where(col(PublicNotice.id) > after)
    return [
        (notice, township, village) for notice, township, village in await session.exec(statement)
    ]


async def recipients(
    session: AsyncSession,
    *,
    county: str,
    year: int,
    program: str | None,
    after: int | None,
    limit: int,
) -> list[tuple[Payout, Application, str, str]]:
    """Who was paid in a county in ``year`` (奖扶/特扶 公开): one-time sums paid that year and
    each yearly benefit of that year, with township and village names."""
    _check_region(county, None)
    start, end = local_year_bounds(year)
    statement = (
        select(Payout, Application, col(Township.name), col(Village.name))
        .join(Application, col(Application.id) == Payout.application_id)
        .join(Village, col(Village.code) == Application.village_code)
        .join(Township, col(Township.code) == Village.parent_code)
        .options(load_only(*(getattr(Application, name) for name in _SHOWN_OF_CASE)))
        .where(
            Application.county_code == county,
            Payout.status == PAID,
            Payout.payee == PAYEE_HOUSEHOLD,  # who received benefits, not the fund or insurer
            or_(
                (col(Payout.period) == ONCE)
                & (col(Payout.paid_at) >= start)
                & (col(Payout.paid_at) < end),
                col(Payout.period) == str(year),
            ),
        )
        .order_by(col(Payout.id))
        .limit(limit)
    )
    if program is not None:
        statement = statement.where(Application.program_code == program)
    if after is not None:
        statement = statement.where(col(Payout.id) > after)
    return [
        (payout, case, township, village)
        for payout, case, township, village in await session.exec(statement)
    ]
