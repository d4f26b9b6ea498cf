"""Objections 举报 to a public notice: anyone may raise one during the notice, without logging in.

An objection is stored and, while the case still waits at its notice, signals the flow: the
county's task 核查举报 opens and the payout or enrolment waits until the county resolves it.
Raising one is limited per client address and in size; its text stays with the county (the
trail proves it by hash).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service import rates
from service.applications import progress
from service.applications.models import NOTICE, Application
from service.audit import service as audit_service
from service.clock import utcnow
from service.config import get_settings
from service.errors import Conflict, InvalidInput, NotFound, StaleTask
from service.notices import models
from service.notices.models import Objection, PublicNotice
from service.notices.service import OBJECTION_SIGNAL, PUBLIC_ACTOR
from service.text import checked


@dataclass(frozen=True)
class ObjectionInput:
    text: str
    contact: str | None
    address: str


def _source(address: str) -> str:
    """A keyed hash of the client address: the same address gives the same value, and the
    stored value does not give the address back."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"objection-source:{address}".encode(), hashlib.sha256).hexdigest()


def _checked(given: ObjectionInput) -> tuple[str, str | None]:
    settings = get_settings()
    text = checked(given.text.strip(), field="text")
    if not text:
        raise InvalidInput(
            "the objection must say what is wrong", field="text", code="objection-blank"
        )
    if len(text) > settings.objection_max_chars:
        raise InvalidInput(
            f"an objection holds at most {settings.objection_max_chars} characters",
            field="text",
            code="objection-too-long",
            params={"limit": settings.objection_max_chars},
        )
    contact = (given.contact or "").strip() or None
    # The contact is kept as given, for the county approver to call back (auditors see it
    # masked); the text is masked like any free text.
    contact = checked(contact, field="contact", lines=False, mask=False) if contact else None
    return text, contact


async def _hold_rate(session: AsyncSession, source: str) -> None:
    now = utcnow()
    statement = (
        select(Objection.received_at)
        .where(Objection.source == source, col(Objection.received_at) > now - rates.HOUR)
        .order_by(col(Objection.received_at))
    )
    recent = (await session.exec(statement)).all()
    limit = get_settings().objection_max_per_hour
    rates.hold_to(recent, limit=limit, now=now, what="objections from one address")


async def _open_notice(session: AsyncSession, notice_id: int) -> PublicNotice:
    notice = await session.get(PublicNotice, notice_id)
    if notice is None:
        raise NotFound(
            f"no public notice {notice_id}",
            code="notice-not-found",
            params={"notice_id": notice_id},
        )
    open_now = notice.state == models.HELD or (
        notice.state == models.OPEN and notice.ends_at > utcnow()
    )
    if not open_now:
        raise Conflict(
            f"notice {notice_id} is closed ({notice.state}); objections are taken during the "
            "notice period",
            code="notice-closed",
            params={"notice_id": notice_id, "state": notice.state},
        )
    return notice


async def receive(
    session: AsyncSession, *, notice_id: int, given: ObjectionInput
) -> tuple[Objection, PublicNotice]:
    """Store an objection and, if the case still waits at its notice, signal the flow: the
    county's task 核查举报 opens and the payout waits for it. One transaction."""
    text, contact = _checked(given)
    notice = await _open_notice(session, notice_id)
    source = _source(given.address)
    await _hold_rate(session, source)
    case = await session.get(Application, notice.application_id)
    assert case is not None
    assert case.id is not None
    objection = Objection(
        notice_id=notice_id,
        application_id=case.id,
        text=text,
        contact=contact,
        source=source,
        received_at=utcnow(),
    )
    session.add(objection)
    await session.flush()
    before = status = case.status
    if case.status == NOTICE:
        moved = await progress.record_engine_move(
            session, case=case, act=lambda instance: instance.signal(OBJECTION_SIGNAL)
        )
        status = moved.status
    audit_service.record(
        session,
        action="objection_received",
        actor=None,
        actor_name=PUBLIC_ACTOR,
        region=case.village_code,
        application_id=case.id,
        before={"status": before},
        after={
            "status": status,
            "objection_id": objection.id,
            "notice_id": notice_id,
            # What was said is proven by its hash; the text itself stays with the county.
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "chars": len(text),
            "contact_given": contact is not None,
        },
    )
    await audit_service.commit(session)
    await session.refresh(notice)
    return objection, notice


ATTEMPTS = 3


async def receive_with_retry(
    session: AsyncSession, *, notice_id: int, given: ObjectionInput
) -> tuple[Objection, PublicNotice]:
    """``receive``, tried again when another command moved the case meanwhile (two objections
    at once): the public should not see a 409 for a race they cannot know about."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await receive(session, notice_id=notice_id, given=given)
        except StaleTask:
            await audit_service.roll_back(session)
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")
