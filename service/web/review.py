"""Batch review 集中申报复核 (/review): many township or county decisions in one form.

The page lists the user's ready tasks with a checkbox each; one decision and one comment apply
to every task ticked. The post goes through ``bulk.bulk_complete`` as the API's
``POST /tasks/bulk-complete`` does: each item on its own, with its own result, every rule of a
single completion applied (documents, eligibility, separation of duties…).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import COUNTY_APPROVER, TOWNSHIP_REVIEWER, User
from service.clock import utcnow
from service.http.deps import SessionDep, WriteSessionDep
from service.tasks import bulk
from service.tasks import service as tasks_service
from service.tasks.schemas import BulkItem, BulkRequest, BulkResult
from service.web import labels, reasons, sessions
from service.web.deps import page_for
from service.web.errors import TITLES
from service.web.i18n import N_
from service.web.templating import render, task_name

router = APIRouter()
Reviewer = Annotated[User, Depends(page_for(TOWNSHIP_REVIEWER, COUNTY_APPROVER))]
# As many tasks as the inbox reads for a page; the API's bulk request takes as many.
REVIEW_LIMIT = 500
DECISIONS = ("approve", "reject", "return")


async def _page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    results: list[dict[str, Any]] | None = None,
    summary: BulkResult | None = None,
) -> Response:
    tasks = await tasks_service.inbox(session, user=user, limit=REVIEW_LIMIT)
    names = await labels.load(session, sessions.of(request).language)
    context = {
        "tasks": tasks,
        "labels": names,
        "now": utcnow(),
        "decisions": DECISIONS,
        "errors": errors or {},
        "values": {"task_ids": set(), "decision": "", "comment": "", **(values or {})},
        "results": results,
        "summary": summary,
    }
    return render(request, "review.html", context, user=user, status_code=status_code)


@router.get("/review")
async def review(request: Request, user: Reviewer, session: SessionDep) -> Response:
    return await _page(request, session, user)


def _task_ids(raw: list[Any]) -> list[int] | None:
    try:
        return [int(value) for value in raw if isinstance(value, str)]
    except ValueError:
        return None


@router.post("/review")
async def review_decide(request: Request, user: Reviewer, session: WriteSessionDep) -> Response:
    """Complete every ticked task with the one decision; show each task's result."""
    form = await request.form()
    decision = form.get("decision")
    comment = form.get("comment")
    decision = decision if isinstance(decision, str) else ""
    comment = comment.strip() if isinstance(comment, str) else ""
    task_ids = _task_ids(form.getlist("task_id"))
    values = {"task_ids": set(task_ids or []), "decision": decision, "comment": comment}
    errors: dict[str, str] = {}
    if not task_ids:
        errors["task_id"] = N_("Select at least one task.")
    if decision not in DECISIONS:
        errors["decision"] = N_("Choose a decision.")
    request_body: BulkRequest | None = None
    if not errors:
        try:
            request_body = BulkRequest(
                items=[
                    BulkItem(task_id=task_id, decision=decision, comment=comment or None)
                    for task_id in task_ids or []
                ]
            )
        except ValidationError as error:
            for problem in error.errors():
                where = [str(part) for part in problem["loc"]]
                if "comment" in where and problem["type"] == "comment-required":
                    errors["comment"] = N_(
                        "Reject and return need a reason the applicant can read."
                    )
                elif "comment" in where:
                    errors["comment"] = N_("The comment is limited to 2,000 characters.")
                else:
                    errors["task_id"] = N_("The selection is not valid; reload the page.")
    if request_body is None:
        return await _page(request, session, user, status_code=422, errors=errors, values=values)
    # What each ticked task was, read before they change: a result names its case.
    before = {
        task.id: task for task in await tasks_service.inbox(session, user=user, limit=REVIEW_LIMIT)
    }
    outcome = await bulk.bulk_complete(session, user=user, items=request_body.items)
    language = sessions.of(request).language
    results = []
    for item in outcome.items:
        task = before.get(item.task_id)
        results.append(
            {
                "task_id": item.task_id,
                "application_id": task.application_id if task else None,
                "task_name": task_name(task, language) if task else "",
                "done": item.result == "done",
                "status": item.status,
                "title": TITLES.get(item.problem.status, TITLES[400]) if item.problem else "",
                "detail": reasons.say(
                    item.problem.code, item.problem.params, language, status=item.problem.status
                )
                if item.problem
                else "",
            }
        )
    return await _page(
        request,
        session,
        user,
        values={"decision": decision},
        results=results,
        summary=outcome,
    )
