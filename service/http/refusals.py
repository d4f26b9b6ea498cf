"""Refused actions as audit events: every 403 and 409 answered to a logged-in user.

The problem handlers call ``record`` once the request's own transaction has been rolled
back, so the event is written in a short write transaction of its own. Recording never
changes the answer: if it fails, the failure is logged and the refusal goes out as it was.

Not recorded: 401 (nobody is logged in: failed logins have their own events) and 404 (the
answer for what is unknown or outside the caller's jurisdiction; recording it would write an
event for every probe of an id, so a scan could flood the trail).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import Request
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.audit import service as audit_service
from service.auth.dependencies import CALLER_SCOPE_KEY
from service.auth.models import User
from service.db import get_database
from service.http.metrics import route_template
from service.http.params import MAX_ID
from service.payouts.models import Payout
from service.recoveries.models import Recovery
from service.tasks.models import Task

log = structlog.get_logger()
ACTION = "action_refused"
RECORDED = frozenset({403, 409})
# Path parameters that name a case, or something of exactly one case.
_OF_CASE: dict[str, Any] = {
    "task_id": Task,
    "payout_id": Payout,
    "recovery_id": Recovery,
}


def _path_id(request: Request, name: str) -> int | None:
    value = str(request.path_params.get(name, ""))
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


async def _case_of(session: AsyncSession, request: Request) -> Application | None:
    application_id = _path_id(request, "application_id")
    if application_id is None:
        for name, model in _OF_CASE.items():
            item_id = _path_id(request, name)
            if item_id is not None:
                statement = select(model.application_id).where(model.id == item_id)
                application_id = (await session.exec(statement)).first()
                break
    return await session.get(Application, application_id) if application_id else None


async def _write(
    request: Request, user: User, *, status: int, type_: str, code: str, detail: str
) -> None:
    async with get_database().write_sessions() as session:
        case = await _case_of(session, request)
        # The case's village when the caller works there, so the case's auditors see it;
        # otherwise the caller's own region (never another county's chain).
        covered = case is not None and user.covers(case.village_code)
        audit_service.record(
            session,
            action=ACTION,
            actor=user,
            role=",".join(user.roles)[:40],
            region=case.village_code if case is not None and covered else user.jurisdiction,
            application_id=case.id if case is not None else _path_id(request, "application_id"),
            task_id=_path_id(request, "task_id"),
            after={
                "method": request.method,
                "route": route_template(request),
                "status": status,
                "type": type_,
                "code": code,
                "detail": detail[:500],
                "roles": list(user.roles),
            },
        )
        await audit_service.commit(session)


async def record(request: Request, *, status: int, type_: str, code: str, detail: str) -> None:
    """Record a refusal of a logged-in caller; log, never raise, if that fails."""
    user = request.scope.get(CALLER_SCOPE_KEY)
    if status not in RECORDED or not isinstance(user, User):
        return
    try:
        await _write(request, user, status=status, type_=type_, code=code, detail=detail)
    except Exception:  # the refusal is the answer; a trail failure must not become a 500
        log.exception("refusal_not_recorded", status=status, type=type_, code=code)
