"""Batch review 集中申报复核: many township or county decisions in one request.

Each item goes through ``tasks_service.complete``, so every rule of a single completion holds
(role, jurisdiction, separation of duties, documents, eligibility), in a transaction of its
own: a refused item changes nothing, and takes nothing of the others with it. Each item gets
its own result, and the request itself is one more event in the trail.
"""

from __future__ import annotations

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth.models import COUNTY_APPROVER, TOWNSHIP_REVIEWER, User, acting_roles
from service.errors import PROBLEM_BASE, Forbidden, ItemProblem, ReliefError
from service.tasks import service as tasks_service
from service.tasks.models import Task
from service.tasks.schemas import BulkItem, BulkItemResult, BulkResult

log = structlog.get_logger()

# The levels that review lists of cases; village and payout tasks each need their own papers.
BULK_ROLES = (TOWNSHIP_REVIEWER, COUNTY_APPROVER)


async def bulk_complete(session: AsyncSession, *, user: User, items: list[BulkItem]) -> BulkResult:
    """Complete each item on its own; the result of each, in the order given."""
    results = []
    for item in items:
        session.expunge_all()  # each item reads afresh what earlier items changed
        results.append(await _complete_one(session, user=user, item=item))
    refused = [result.task_id for result in results if result.result == "refused"]
    audit_service.record(
        session,
        action="tasks_bulk_completed",
        actor=user,
        role=next((role for role in BULK_ROLES if role in acting_roles(user)), None),
        region=user.jurisdiction,
        after={"items": len(items), "done": len(items) - len(refused), "refused": refused},
    )
    await audit_service.commit(session)
    return BulkResult(done=len(items) - len(refused), refused=len(refused), items=results)


async def _complete_one(session: AsyncSession, *, user: User, item: BulkItem) -> BulkItemResult:
    try:
        await _check_lane(session, user=user, task_id=item.task_id)
        outcome = await tasks_service.complete(
            session, user=user, task_id=item.task_id, decision=item
        )
    except ReliefError as error:
        await audit_service.roll_back(session)
        return BulkItemResult(task_id=item.task_id, result="refused", problem=ItemProblem.of(error))
    except Exception:
        # Not a refusal but a fault (the database went away, say): this item is undone and
        # reported; the items before it stand, and those after it are still tried.
        log.exception("bulk_item_failed", task_id=item.task_id)
        await audit_service.roll_back(session)
        problem = ItemProblem(
            status=500,
            type=PROBLEM_BASE + "internal-error",
            detail="unexpected error; logged",
            code="internal-error",
        )
        return BulkItemResult(task_id=item.task_id, result="refused", problem=problem)
    return BulkItemResult(task_id=item.task_id, result="done", status=outcome.status)


async def _check_lane(session: AsyncSession, *, user: User, task_id: int) -> None:
    # An invisible or unknown task is left to ``complete``, which answers 404 for both.
    task = await session.get(Task, task_id)
    if task is not None and user.covers(task.village_code) and task.role not in BULK_ROLES:
        raise Forbidden(
            f"a {task.role} task is completed on its own; bulk completion is for township "
            "review and county verification",
            code="bulk-role-not-allowed",
            params={"role": task.role},
        )
