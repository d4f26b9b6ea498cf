"""Anchors: each county chain's head, signed, so a deleted tail is found too.

A chain alone proves that no event in it was changed; it cannot prove that none were cut off
its end, together with the head row. An anchor records the head (sequence and hash) at one
moment, signed with HMAC-SHA256 over ``relief-anchor-v1\\n{county}\\n{seq}\\n{hash}\\n{signed_at}``,
and ``relief audit anchor`` prints it for storage elsewhere (a printout, another system).
Verification then requires every anchored head to still be in the chain, with its hash.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit.chain import format_at
from service.audit.models import AuditAnchor, AuditHead
from service.clock import utcnow
from service.config import get_settings
from service.db import get_database


def _key() -> bytes:
    settings = get_settings()
    if settings.anchor_key:
        return settings.anchor_key.encode()
    # Derived, not the secret itself: an anchor never helps anyone forge a token.
    return hmac.new(settings.secret_key.encode(), b"relief-anchor-key", hashlib.sha256).digest()


def key_id() -> str:
    return hashlib.sha256(_key()).hexdigest()[:16]


def signed_text(county: str, seq: int, head_hash: str, signed_at: datetime) -> bytes:
    return f"relief-anchor-v1\n{county}\n{seq}\n{head_hash}\n{format_at(signed_at)}".encode()


def sign(county: str, seq: int, head_hash: str, signed_at: datetime) -> str:
    text = signed_text(county, seq, head_hash, signed_at)
    return hmac.new(_key(), text, hashlib.sha256).hexdigest()


def signature_holds(anchor: AuditAnchor) -> bool:
    expected = sign(anchor.county, anchor.seq, anchor.hash, anchor.signed_at)
    return anchor.key_id == key_id() and hmac.compare_digest(expected, anchor.signature)


async def anchor_heads(
    session: AsyncSession, *, counties: list[str] | None = None, due_before: datetime | None = None
) -> list[AuditAnchor]:
    """Anchor each county's head that moved since its last anchor (and, with ``due_before``,
    whose last anchor is older than that); returns the new anchors, committed."""
    heads = (await session.exec(select(AuditHead).order_by(col(AuditHead.county)))).all()
    last = dict(
        (
            await session.exec(
                select(AuditAnchor.county, func.max(AuditAnchor.seq)).group_by(AuditAnchor.county)
            )
        ).all()
    )
    latest_at = dict(
        (
            await session.exec(
                select(AuditAnchor.county, func.max(AuditAnchor.signed_at)).group_by(
                    AuditAnchor.county
                )
            )
        ).all()
    )
    now, created = utcnow(), []
    for head in heads:
        if counties is not None and head.county not in counties:
            continue
        if head.seq == 0 or head.seq <= (last.get(head.county) or 0):
            continue  # nothing new since the last anchor
        previous = latest_at.get(head.county)
        if due_before is not None and previous is not None and previous > due_before:
            continue  # anchored recently enough
        anchor = AuditAnchor(
            county=head.county,
            seq=head.seq,
            hash=head.hash,
            signed_at=now,
            key_id=key_id(),
            signature=sign(head.county, head.seq, head.hash, now),
        )
        session.add(anchor)
        created.append(anchor)
    await session.commit()
    return created


async def anchors_of(session: AsyncSession, county: str) -> dict[int, AuditAnchor]:
    statement = select(AuditAnchor).where(AuditAnchor.county == county)
    return {anchor.seq: anchor for anchor in (await session.exec(statement)).all()}


async def anchor_due(now: datetime, limit: int) -> int:
    """The worker's job source: anchor the chains whose last anchor is older than the interval
    (``RELIEF_ANCHOR_INTERVAL_SECONDS``). Two workers at once may both try; the unique
    (county, seq) keeps one anchor of a head."""
    interval = timedelta(seconds=get_settings().anchor_interval_seconds)
    async with get_database().write_sessions() as session:
        try:
            return len(await anchor_heads(session, due_before=now - interval))
        except IntegrityError:
            return 0  # another worker anchored the same head a moment ago
