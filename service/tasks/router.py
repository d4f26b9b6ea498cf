from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from service.applications.schemas import TaskSummary
from service.auth.dependencies import CurrentUser, require_any_acting_role
from service.auth.models import COUNTY_APPROVER, TOWNSHIP_REVIEWER, User
from service.http import problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.idempotency import IdempotencyDep
from service.http.params import PathId, QueryId
from service.tasks import bulk, handover
from service.tasks import service as tasks_service
from service.tasks.schemas import (
    BulkRequest,
    BulkResult,
    CandidateRead,
    CompletionResult,
    Decision,
    ReassignRequest,
    TaskRead,
)

router = APIRouter(
    prefix="/tasks", tags=["tasks"], responses=problems.responses(401, 403, 404, 409, 422)
)
Reviewer = Annotated[User, Depends(require_any_acting_role(TOWNSHIP_REVIEWER, COUNTY_APPROVER))]


@router.get("", response_model=list[TaskRead])
async def inbox(
    user: CurrentUser,
    session: SessionDep,
    application_id: QueryId = None,
    overdue: Annotated[
        bool | None, Query(description="true: only tasks past their deadline; false: only others")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TaskRead]:
    """Tasks the caller may act on now (role, jurisdiction and separation of duties),
    priority groups first, then by deadline."""
    return await tasks_service.inbox(
        session, user=user, application_id=application_id, overdue=overdue, limit=limit
    )


@router.post("/bulk-complete", response_model=BulkResult)
async def bulk_complete(body: BulkRequest, user: Reviewer, session: WriteSessionDep) -> BulkResult:
    """Approve, reject or return many tasks at once (集中申报复核): each item on its own, with
    its own result; every rule of a single completion applies."""
    return await bulk.bulk_complete(session, user=user, items=body.items)


@router.post("/{task_id}/claim", response_model=TaskSummary)
async def claim(task_id: PathId, user: CurrentUser, session: WriteSessionDep) -> TaskSummary:
    """Take a task so colleagues in the same role leave it alone."""
    return await tasks_service.claim(session, user=user, task_id=task_id)


@router.post("/{task_id}/unclaim", response_model=TaskSummary)
async def unclaim(task_id: PathId, user: CurrentUser, session: WriteSessionDep) -> TaskSummary:
    return await tasks_service.unclaim(session, user=user, task_id=task_id)


@router.post("/{task_id}/complete", response_model=CompletionResult)
async def complete(
    task_id: PathId,
    body: Decision,
    user: CurrentUser,
    session: WriteSessionDep,
    idempotent: IdempotencyDep,
) -> CompletionResult | Response:
    """Approve, reject or return a task the caller may act on. With an ``Idempotency-Key``, a
    retry returns the first result and changes nothing more."""
    return await idempotent.run(
        session,
        payload=body,
        action=lambda: tasks_service.complete(session, user=user, task_id=task_id, decision=body),
    )


@router.post("/{task_id}/reassign", response_model=TaskSummary)
async def reassign(
    task_id: PathId, body: ReassignRequest, user: Reviewer, session: WriteSessionDep
) -> TaskSummary:
    """Hand a claimed or overdue task to another user who may act on it, with a reason (改派):
    a county approver any task of the county, a township reviewer the village's and the
    township's tasks of the township."""
    return await handover.reassign(
        session, user=user, task_id=task_id, to=body.to, reason=body.reason
    )


@router.get("/{task_id}/candidates", response_model=list[CandidateRead])
async def candidates(task_id: PathId, user: Reviewer, session: SessionDep) -> list[User]:
    """The users the caller may hand the task to: its role, covering its village, active,
    separation of duties."""
    return await handover.candidates_for(session, user=user, task_id=task_id)
