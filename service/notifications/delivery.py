"""The worker's delivery of the outbox: at least once, each message claimed by one worker.

A message is claimed in a short transaction of its own: ``SELECT … FOR UPDATE SKIP LOCKED``
of one due pending message (another worker skips it), its try counted and its due time
pushed a lease ahead, commit. It is then sent with no transaction open (on SQLite an open
write transaction would hold the whole database's write lock for the length of a network
call), and a second transaction marks it sent, or records the failure and when to try again.
A worker that dies between sending and marking leaves the message due again after the lease:
sent twice, with the same idempotency key, which the receiver dedupes. After the last try
the message becomes an incident that an admin can retry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.clock import utcnow
from service.db import get_database
from service.incidents import service as incidents_service
from service.incidents.retry import next_attempt_at
from service.masking import mask_text
from service.notifications import channels
from service.notifications.models import INCIDENT, PENDING, SENT, Notification

log = structlog.get_logger()
KIND = "notification"  # the incidents' kind
# How long a claimed message is left alone by other workers: far beyond one send's timeout.
LEASE = timedelta(minutes=5)


async def deliver_due(now: datetime, limit: int) -> int:
    """Deliver up to ``limit`` messages due at ``now``; returns how many were tried."""
    message = await _claim(now) if limit > 0 else None
    if message is None:
        return 0  # the usual idle round: no channel opened
    tried = 0
    async with channels.opened() as pick:
        while message is not None:
            tried += 1
            try:
                await pick(message).send(message)
            except Exception as error:  # noqa: BLE001 - any failure of a channel counts a try
                await _failed(message, f"{type(error).__name__}: {error}")
            else:
                await _sent(message)
            message = await _claim(now) if tried < limit else None
    return tried


async def _claim(now: datetime) -> Notification | None:
    async with get_database().write_sessions() as session:
        statement = (
            select(Notification)
            .where(Notification.status == PENDING, col(Notification.next_attempt_at) <= now)
            .order_by(col(Notification.next_attempt_at), col(Notification.id))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        message = (await session.exec(statement)).first()
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = utcnow() + LEASE
        session.add(message)
        await session.commit()
        return message


async def _sent(message: Notification) -> None:
    async with get_database().write_sessions() as session:
        await session.exec(
            update(Notification)
            .where(col(Notification.id) == message.id, col(Notification.status) == PENDING)
            .values(status=SENT, sent_at=utcnow(), last_error=None)
        )
        await session.commit()


async def _failed(message: Notification, error: str) -> None:
    error = mask_text(error)[:500]
    log.warning(
        "notification_failed",
        notification_id=message.id,
        notification_event=message.event,
        channel=message.channel,
        attempts=message.attempts,
        error=error,
    )
    async with get_database().write_sessions() as session:
        current = await session.get(Notification, message.id, with_for_update=True)
        if current is None or current.status != PENDING or current.attempts != message.attempts:
            return  # the lease ran out and another worker has it now
        retry_at = next_attempt_at(current.attempts, utcnow())
        current.last_error = error
        if retry_at is None:
            current.status = INCIDENT
            await incidents_service.open_incident(
                session,
                kind=KIND,
                ref_id=current.id or 0,
                application_id=current.application_id,
                error=f"{current.event} message: {error}",
                attempts=current.attempts,
            )
        else:
            current.next_attempt_at = retry_at
        session.add(current)
        await session.commit()


async def _retry(session: AsyncSession, notification_id: int) -> None:
    """An admin's retry of an incident: the message is due again now, with fresh tries."""
    message = await session.get(Notification, notification_id, with_for_update=True)
    if message is None or message.status != INCIDENT:
        return
    message.status, message.attempts, message.next_attempt_at = PENDING, 0, utcnow()
    session.add(message)


incidents_service.register_retry(KIND, _retry)
