"""The outbox, read by supervision: who was told what about a case, and whether it went."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from service.auth.dependencies import require_roles
from service.auth.models import ADMIN, AUDITOR, User
from service.http import problems
from service.http.deps import SessionDep
from service.http.params import Cursor, QueryId
from service.notifications import service as notifications_service
from service.notifications.schemas import NotificationPage, NotificationRead

router = APIRouter(
    prefix="/notifications", tags=["notifications"], responses=problems.responses(401, 403, 422)
)
Supervisor = Annotated[User, Depends(require_roles(AUDITOR, ADMIN))]


@router.get("", response_model=NotificationPage)
async def list_notifications(
    user: Supervisor,
    session: SessionDep,
    application_id: QueryId = None,
    status: Literal["pending", "sent", "incident"] | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> NotificationPage:
    """Messages about cases in the caller's jurisdiction, newest first (numbers masked)."""
    found = await notifications_service.list_messages(
        session, user=user, application_id=application_id, status=status, cursor=cursor, limit=limit
    )
    next_cursor = found[-1].id if len(found) == limit else None
    return NotificationPage(
        items=[NotificationRead.of(message) for message in found], next_cursor=next_cursor
    )
