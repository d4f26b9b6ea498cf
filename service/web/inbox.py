"""The inbox 待办 (``/``): the tasks the user may act on, and claiming them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import col, select

from service.applications.models import Application
from service.applications.schemas import TaskSummary
from service.auth.models import ADMIN, AUDITOR, COUNTY_APPROVER, LANE_ROLES, User, acting_roles
from service.clock import utcnow
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import PathId
from service.life_events import service as life_events_service
from service.life_events.models import PENDING, LifeEvent
from service.masking import mask_name
from service.tasks import service as tasks_service
from service.tasks.schemas import TaskRead
from service.web import labels, sessions
from service.web.deps import PageUser, page_roles
from service.web.templating import redirect, render

router = APIRouter()
# The inbox reads this many of the user's tasks and filters them for the page: an office's
# queue is tens of tasks; the API pages through more.
INBOX_LIMIT = 500


def landing_page(user: User) -> str:
    """Where a user starts: the inbox for those who act on cases; the trail for an auditor;
    the flows for an administrator (what changes how every case runs, and where an upload or
    activation waits; people and places are a click away)."""
    roles = page_roles(user)
    if roles & set(LANE_ROLES):
        return "/"
    if AUDITOR in roles:
        return "/audit"
    if ADMIN in roles:
        return "/flows"
    return "/"


def _matches(
    task: TaskRead, *, now: datetime, program: str, status: str, region: str, overdue: str
) -> bool:
    late = task.due_at is not None and task.due_at < now
    return (
        (not program or task.program == program)
        and (not status or task.application_status == status)
        and (not region or (task.village or "").startswith(region))
        and (overdue != "yes" or late)
        and (overdue != "no" or not late)
    )


async def _applicants(session: SessionDep, case_ids: set[int]) -> dict[int, str]:
    """The masked applicant name of each listed case, in one read."""
    if not case_ids:
        return {}
    statement = select(Application.id, Application.applicant_name).where(
        col(Application.id).in_(case_ids)
    )
    rows = (await session.exec(statement)).all()
    return {case_id: mask_name(name) for case_id, name in rows if case_id is not None}


async def _life_events_waiting(session: SessionDep, user: User) -> list[LifeEvent]:
    """A county approver's share of the life events waiting for the county (deaths, moves, a
    review's refusal): those of the jurisdiction they did not record themselves."""
    if COUNTY_APPROVER not in acting_roles(user):
        return []
    pending = await life_events_service.list_visible(session, user=user, status=PENDING)
    return [event for event in pending if event.recorded_by != user.id]


@router.get("/")
async def inbox(
    request: Request,
    user: PageUser,
    session: SessionDep,
    program: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=32)] = "",
    region: Annotated[str, Query(max_length=12, pattern=r"^\d*$")] = "",
    overdue: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
) -> Response:
    """Priority cases first, then by deadline, as the API's inbox orders them. Auditors and
    administrators act on no task: they land on their own page instead of an empty inbox."""
    landing = landing_page(user)
    if landing != "/":
        return redirect(request, landing)
    tasks = await tasks_service.inbox(session, user=user, limit=INBOX_LIMIT)
    now = utcnow()
    shown = [
        task
        for task in tasks
        if _matches(task, now=now, program=program, status=status, region=region, overdue=overdue)
    ]
    names = await labels.load(session, sessions.of(request).language)
    waiting = await _life_events_waiting(session, user)
    listed = {task.application_id for task in shown} | {e.application_id for e in waiting}
    context = {
        "tasks": shown,
        "life_events_waiting": waiting,
        "applicants": await _applicants(session, listed),
        "labels": names,
        "now": now,
        "filters": {"program": program, "status": status, "region": region, "overdue": overdue},
        "statuses": sorted({task.application_status for task in tasks if task.application_status}),
    }
    return render(request, "inbox.html", context, user=user)


async def _claim_answer(request: Request, task: TaskSummary) -> Response:
    if request.headers.get("HX-Request"):
        return render(request, "_claim.html", {"task": task}, user=None)
    return redirect(request, "/")


@router.post("/tasks/{task_id}/claim")
async def claim(
    request: Request, task_id: PathId, user: PageUser, session: WriteSessionDep
) -> Response:
    task = await tasks_service.claim(session, user=user, task_id=task_id)
    return await _claim_answer(request, task)


@router.post("/tasks/{task_id}/unclaim")
async def unclaim(
    request: Request, task_id: PathId, user: PageUser, session: WriteSessionDep
) -> Response:
    task = await tasks_service.unclaim(session, user=user, task_id=task_id)
    return await _claim_answer(request, task)
