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

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.dependencies import CurrentUser
from service.clock import utcnow
from service.config import get_settings
from service.db import get_database
from service.dbtypes import UTCDateTime
from service.errors import IdempotencyKeyReused, ReliefError

MAX_KEY_LENGTH = 200
REPLAYED_HEADER = "Idempotent-Replayed"
_STAGED = "relief.idempotency"

T = TypeVar("T")


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


def fingerprint(payload: Any) -> str:
    """SHA-256 of the parsed request body as canonical JSON: the same request sent again with
    other whitespace, key order or multipart boundary has the same fingerprint."""
    canonical = json.dumps(
        jsonable_encoder(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Idempotent:
    """The caller's key (or None) and the request it came with; see the module docstring."""

    def __init__(self, *, user_id: int, key: str | None, method: str, path: str) -> None:
        self.user_id, self.key, self.method, self.path = user_id, key, method, path
        self.request_sha256 = ""
        self.status_code = 200

    async def run(
        self,
        session: AsyncSession,
        *,
        payload: Any,
        action: Callable[[], Awaitable[T]],
        status_code: int = 200,
        staged: bool = True,
    ) -> T | Response:
        """Answer a replay from its record, or run ``action`` and record its answer."""
        if self.key is None:
            return await action()
        self.request_sha256, self.status_code = fingerprint(payload), status_code
        stored = await self._lookup(session)
        if stored is not None:
            return stored
        if staged:
            session.info[_STAGED] = self
        try:
            result = await action()
        except ReliefError as error:
            if error.status != 409:
                raise
            # A retry that lost the race to its own first attempt: answer with the first result.
            await session.rollback()
            stored = await self._lookup(session)
            if stored is None:
                raise
            return stored
        finally:
            session.info.pop(_STAGED, None)
        if staged:
            return result
        return await self._record_after(session, result)

    async def _lookup(self, session: AsyncSession) -> Response | None:
        record = (
            await session.exec(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == self.user_id, IdempotencyRecord.key == self.key
                )
            )
        ).first()
        if record is None:
            return None
        if (record.method, record.path, record.request_sha256) != (
            self.method,
            self.path,
            self.request_sha256,
        ):
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used for another request "
                f"({record.method} {record.path} with another body); use a new key"
            )
        return JSONResponse(
            record.response, status_code=record.status_code, headers={REPLAYED_HEADER: "true"}
        )

    def record(self, body: BaseModel) -> IdempotencyRecord:
        assert self.key is not None
        return IdempotencyRecord(
            user_id=self.user_id,
            key=self.key,
            method=self.method,
            path=self.path,
            request_sha256=self.request_sha256,
            status_code=self.status_code,
            response=jsonable_encoder(body),
            created_at=utcnow(),
        )

    async def _record_after(self, session: AsyncSession, result: T) -> T | Response:
        """A command of several transactions: the record in a transaction of its own."""
        assert isinstance(result, BaseModel)
        session.add(self.record(result))
        try:
            await session.commit()
        except IntegrityError:
            # A concurrent retry with the same key recorded first: its answer is the first.
            await session.rollback()
            stored = await self._lookup(session)
            if stored is not None:
                return stored
            raise
        return result


def stage(session: AsyncSession, body: BaseModel) -> None:
    """Called by a command just before its one commit: record ``body`` as the answer to the
    key the request carried, in the same transaction (nothing when there is no key)."""
    pending: Idempotent | None = session.info.pop(_STAGED, None)
    if pending is not None:
        session.add(pending.record(body))


def _idempotent(
    request: Request,
    user: CurrentUser,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=MAX_KEY_LENGTH,
            description="A retry with the same key returns the first result and changes "
            "nothing more.",
        ),
    ] = None,
) -> Idempotent:
    assert user.id is not None
    return Idempotent(
        user_id=user.id, key=idempotency_key, method=request.method, path=request.url.path
    )


IdempotencyDep = Annotated[Idempotent, Depends(_idempotent)]


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
