"""``Idempotency-Key`` on commands: a retried request returns the first result, once.

A command that honours the header runs through ``Idempotent.run``:

1. **Look up first.** A record of the caller's key answers at once with the stored status code
   and body (header ``Idempotent-Replayed: true``): nothing runs, nothing changes. A record of
   the same key for another request (another method and path, or another body) is refused
   with 422 ``idempotency-key-reused``.
2. **Record in the command's own transaction.** The command builds its answer and calls
   ``stage`` just before its one commit, which adds the record to that transaction: the
   change and the record commit together or not at all, so a crash cannot keep one without
   the other. ``(user_id, key)`` is unique, so of two retries racing past the look-up only one
   record (and one change) can commit.
3. **A retry that lost the race** gets 409 from the command's own guards (the task is no longer
   ready, the payout no longer pending). The record is looked up once more after the 409, and
   if the winner committed it, the loser answers with the first result instead.

Only successes are recorded: a refused request changed nothing, so a retry with its key runs
again (the documents may be attached by then). Keys belong to the user who sent them.

A command made of several transactions (the bank's results, one per line) cannot stage its
record in all of them: it is recorded after the command (``staged=False``). Such a command must
itself change nothing when repeated; a crash between its last transaction and the record means
a retry runs it again and answers with what it finds (lines "unchanged").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.config import get_settings
from service.db import UTCDateTime, get_database

MAX_KEY_LENGTH = 200
# Where a command's session holds the request's key until ``stage`` (service/http/idempotency.py
# puts it there).
STAGED = "relief.idempotency"


class IdempotencyRecord(SQLModel, table=True):
    """The first successful answer to a user's ``Idempotency-Key``."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    key: str = Field(max_length=MAX_KEY_LENGTH)
    method: str = Field(max_length=8)
    path: str = Field(max_length=300)
    # SHA-256 of the request body as the service read it (canonical JSON of the parsed body).
    request_sha256: str = Field(max_length=64)
    status_code: int
    response: Any = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class Staged(Protocol):
    """The request's key, as the HTTP edge put it on the session."""

    def record(self, body: BaseModel) -> IdempotencyRecord: ...


def stage(session: AsyncSession, body: BaseModel) -> None:
    """Called by a command just before its one commit: record ``body`` as the answer to the
    key the request carried, in the same transaction (nothing when there is no key)."""
    pending: Staged | None = session.info.pop(STAGED, None)
    if pending is not None:
        session.add(pending.record(body))


async def prune_due(now: datetime, limit: int) -> int:
    """The worker's job source: delete up to ``limit`` records older than
    ``RELIEF_IDEMPOTENCY_RETENTION_HOURS``. Ids grow with time, so the oldest ``limit`` rows by
    id (a primary-key scan) are the only candidates: no index on ``created_at`` and no scan of
    the table each round."""
    cutoff = now - timedelta(hours=get_settings().idempotency_retention_hours)
    async with get_database().write_sessions() as session:
        oldest = await session.exec(
            select(IdempotencyRecord.id, IdempotencyRecord.created_at)
            .order_by(col(IdempotencyRecord.id))
            .limit(limit)
        )
        expired = [row_id for row_id, created_at in oldest if created_at < cutoff]
        if not expired:
            return 0
        await session.exec(delete(IdempotencyRecord).where(col(IdempotencyRecord.id).in_(expired)))
        await session.commit()
    return len(expired)
