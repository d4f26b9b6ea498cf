"""Appending to and verifying the per-county audit chains.

Commands record events while they work; ``commit`` writes them at the very end with one lock
on each county's head row, so the lock that serialises a county's writers is held only for
the last statements of a transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import anchors
from service.audit.chain import HASHED_FIELDS, link_hash, link_hash_values
from service.audit.models import GENESIS_HASH, AuditAnchor, AuditEvent, AuditHead
from service.auth.models import User
from service.clock import utcnow
from service.logging import request_id_var
from service.masking import mask_numbers_in, mask_text

NO_COUNTY = "000000"  # chain for security events that belong to no known county
_PENDING = "relief_pending_audit"


def record(
    session: AsyncSession,
    *,
    action: str,
    actor: User | None,
    county: str | None = None,
    role: str | None = None,
    region: str | None = None,
    application_id: int | None = None,
    task_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
    actor_name: str | None = None,
) -> None:
    """Queue an event; it is chained and written by ``commit`` in the same transaction."""
    region = region or (actor.jurisdiction if actor else None)
    session.info.setdefault(_PENDING, []).append(
        {
            "county": county or (region[:6] if region else NO_COUNTY),
            "at": utcnow(),
            "actor": actor.username if actor else actor_name,
            "role": role,
            "region": region,
            "action": action,
            "application_id": application_id,
            "task_id": task_id,
            # Free text may hold numbers someone typed: the trail keeps them masked.
            "before": mask_numbers_in(before),
            "after": mask_numbers_in(after),
            "comment": mask_text(comment) if comment else comment,
            "request_id": request_id_var.get(),
        }
    )


# FOR UPDATE serialises a county's writers on PostgreSQL; SQLite writers already hold the
# database lock (BEGIN IMMEDIATE), and the dialect drops the clause there.
# populate_existing: a session that committed before still holds the head it read then.
_HEAD_FOR_UPDATE = (
    select(AuditHead)
    .where(AuditHead.county == bindparam("county"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


async def _lock_head(session: AsyncSession, county: str) -> AuditHead:
    head = (await session.exec(_HEAD_FOR_UPDATE, params={"county": county})).first()
    if head is not None:  # every append but a county's first: one round trip
        return head
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # Two first writers of a county may race here: one inserts, the other's insert does
    # nothing and its lock below waits for the first to commit.
    await session.exec(
        insert(AuditHead)
        .values(county=county, seq=0, hash=GENESIS_HASH)
        .on_conflict_do_nothing(index_elements=["county"])
    )
    return (await session.exec(_HEAD_FOR_UPDATE, params={"county": county})).one()


async def write_pending(session: AsyncSession) -> list[AuditEvent]:
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    by_county: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fields in pending:
        by_county[fields["county"]].append(fields)
    written = []
    for county in sorted(by_county):  # one lock order everywhere: no deadlocks
        head = await _lock_head(session, county)
        for fields in by_county[county]:
            fields["seq"] = head.seq + 1
            digest = link_hash(head.hash, fields)
            event = AuditEvent(**fields, prev_hash=head.hash, hash=digest)
            session.add(event)
            written.append(event)
            head.seq, head.hash = event.seq, digest
        session.add(head)
    await session.flush()
    return written


async def commit(session: AsyncSession) -> None:
    """Write queued audit events, then commit: the one commit of a command."""
    await write_pending(session)
    await session.commit()


def discard_pending(session: AsyncSession) -> None:
    session.info.pop(_PENDING, None)


async def roll_back(session: AsyncSession) -> None:
    """Undo a refused or failed command: roll its transaction back and drop the audit events
    it queued, so a later commit on the same session cannot write a trail of what never
    happened."""
    await session.rollback()
    discard_pending(session)


@asynccontextmanager
async def undone_on_error(session: AsyncSession) -> AsyncIterator[None]:
    """Run a command's steps; on any exception, ``roll_back`` and let the exception go on."""
    try:
        yield
    except BaseException:
        await roll_back(session)
        raise


# --- verifying (reading the trail: service/audit/queries.py) ------------------------------


@dataclass
class ChainReport:
    ok: bool = True
    events: int = 0
    first_broken: dict[str, Any] | None = None
    counties: list[str] = field(default_factory=list)


_CHAIN_COLUMNS = [getattr(AuditEvent, name) for name in (*HASHED_FIELDS, "prev_hash", "hash")]


_SEQ, _PREV, _HASH = HASHED_FIELDS.index("seq"), len(HASHED_FIELDS), len(HASHED_FIELDS) + 1


async def _events_of(session: AsyncSession, county: str) -> AsyncIterator[Sequence[Any]]:
    """A county's events in order, as plain tuples (the hashed fields, then ``prev_hash`` and
    ``hash``) streamed in batches: verify reads millions, and an object per event, or a switch
    of the async driver per row, would cost more than hashing it."""
    statement = (
        sa_select(*_CHAIN_COLUMNS)
        .where(col(AuditEvent.county) == county)
        .order_by(col(AuditEvent.seq))
        .execution_options(yield_per=5000)
    )
    result = await session.stream(statement)
    while batch := await result.fetchmany(5000):
        for row in batch:
            yield row


async def verify(session: AsyncSession, *, counties: list[str] | None = None) -> ChainReport:
    """Recompute each county's chain; report the first link whose hash does not match."""
    if counties is None:
        heads = (await session.exec(select(AuditHead.county))).all()
        chains = (await session.exec(select(AuditEvent.county).distinct())).all()
        counties = sorted({*heads, *chains})
    report = ChainReport(counties=counties)
    for county in counties:
        prev_hash, expected_seq = GENESIS_HASH, 1
        anchored = await anchors.anchors_of(session, county)
        forged = [a for a in anchored.values() if not anchors.signature_holds(a)]
        if forged:
            first = min(forged, key=lambda anchor: anchor.seq)
            report.ok = False
            report.first_broken = {
                "county": county,
                "seq": first.seq,
                "expected_seq": first.seq,
                "expected_hash": first.hash,
                "found_hash": None,
                "reason": f"the anchor's signature does not hold (signed by key {first.key_id}, "
                f"this service signs with {anchors.key_id()})",
            }
            return report
        async for event in _events_of(session, county):
            report.events += 1
            expected = link_hash_values(prev_hash, event[:_PREV])
            anchor = anchored.pop(event[_SEQ], None)
            if anchor is not None and anchor.hash != event[_HASH]:
                report.ok = False
                report.first_broken = {
                    "county": county,
                    "seq": event[_SEQ],
                    "expected_seq": event[_SEQ],
                    "expected_hash": anchor.hash,
                    "found_hash": event[_HASH],
                    "reason": "the event differs from the head anchored at this sequence",
                }
                return report
            if event[_SEQ] != expected_seq or event[_PREV] != prev_hash or event[_HASH] != expected:
                report.ok = False
                report.first_broken = {
                    "county": county,
                    "seq": event[_SEQ],
                    "expected_seq": expected_seq,
                    "expected_hash": expected,
                    "found_hash": event[_HASH],
                }
                return report
            prev_hash, expected_seq = event[_HASH], expected_seq + 1
        head = await session.get(AuditHead, county)
        last_seq = expected_seq - 1
        head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        if (head is not None or last_seq) and (head_seq != last_seq or head_hash != prev_hash):
            report.ok = False
            report.first_broken = {
                "county": county,
                "seq": head_seq,
                "expected_seq": last_seq,
                "expected_hash": head_hash,
                "found_hash": prev_hash,
                "reason": "the chain's head record is missing"
                if head is None
                else "events after the last stored one are missing",
            }
            return report
        problem = _anchor_problem(county, anchored, last_seq, prev_hash)
        if problem is not None:
            report.ok, report.first_broken = False, problem
            return report
    return report


def _anchor_problem(
    county: str, unmatched: dict[int, AuditAnchor], last_seq: int, last_hash: str
) -> dict[str, Any] | None:
    """Anchors no event matched: their heads were cut off. Also any forged anchor."""
    if unmatched:
        seq = min(unmatched)
        return {
            "county": county,
            "seq": seq,
            "expected_seq": seq,
            "expected_hash": unmatched[seq].hash,
            "found_hash": last_hash if last_seq else None,
            "reason": f"an anchored head is missing: the chain ends at {last_seq}",
        }
    return None
