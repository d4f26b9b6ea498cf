"""The ``Idempotency-Key`` header at the HTTP edge: replay a recorded answer, or run the
command with the key staged on its session (``service/idempotency.py`` records it in the
command's own transaction). The rules are in that module's docstring."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.dependencies import CurrentUser
from service.clock import utcnow
from service.errors import IdempotencyKeyReused, ReliefError
from service.idempotency import MAX_KEY_LENGTH, STAGED, IdempotencyRecord

REPLAYED_HEADER = "Idempotent-Replayed"

T = TypeVar("T")


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
            session.info[STAGED] = self
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
            session.info.pop(STAGED, None)
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
                f"({record.method} {record.path} with another body); use a new key",
                code="idempotency-key-reused",
                params={"method": record.method, "path": record.path},
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
