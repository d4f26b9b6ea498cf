"""Full personal numbers of one case, for a county auditor who gives a reason.

Everywhere else (responses, events, exports, logs) resident IDs, bank cards and phone numbers
are masked. Checking a household against the bank's or the police's records needs the full
values, so a county auditor may ask for them, one case at a time. Each reveal is an audit
event with the reason, and the count of an auditor's reveals in the last hour comes from the
trail itself: the limit holds across replicas and restarts.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service import rates
from service.applications.models import Application
from service.audit import service as audit_service
from service.audit.models import AuditEvent
from service.auth.models import AUDITOR, User
from service.clock import utcnow
from service.config import get_settings
from service.errors import Forbidden
from service.regions import jurisdiction

ACTION = "personal_data_revealed"
FIELDS = ("applicant_id_number", "spouse_id_number", "bank_card", "phone")
_COUNTY_CODE_LENGTH = 6


async def _hold_rate(session: AsyncSession, user: User) -> None:
    # Lock the auditor's row: concurrent reveals of one auditor count one after another on
    # PostgreSQL (on SQLite the write transaction already holds the database lock).
    await session.exec(select(User.id).where(User.id == user.id).with_for_update())
    now = utcnow()
    statement = (
        select(AuditEvent.at)
        .where(
            AuditEvent.county == user.county,
            AuditEvent.action == ACTION,
            AuditEvent.actor == user.username,
            col(AuditEvent.at) > now - rates.HOUR,
        )
        .order_by(col(AuditEvent.at))
    )
    recent = (await session.exec(statement)).all()
    limit = get_settings().reveal_max_per_hour
    rates.hold_to(recent, limit=limit, now=now, what="reveals")


async def reveal(
    session: AsyncSession, *, user: User, application_id: int, reason: str
) -> Application:
    """The case with its numbers in full, for a county auditor; recorded with the reason."""
    if AUDITOR not in user.roles or len(user.jurisdiction) != _COUNTY_CODE_LENGTH:
        raise Forbidden(
            "only a county auditor may reveal personal numbers", code="reveal-county-auditor-only"
        )
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    await _hold_rate(session, user)
    audit_service.record(
        session,
        action=ACTION,
        actor=user,
        role=AUDITOR,
        region=case.village_code,
        application_id=case.id,
        after={"fields": [name for name in FIELDS if getattr(case, name)]},
        comment=reason,
    )
    await audit_service.commit(session)
    return case
