"""The data a completion carries: what a task may take, what the trail shows of it, and a
proposed change to what is paid, which only a county approver's approval applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import changes, progress
from service.applications.models import Application, Review
from service.auth.models import COUNTY_APPROVER, FINANCE_OFFICER, User
from service.engine import (
    DEFAULT_DECISIONS,
    Completed,
    DecisionOption,
    FieldSpec,
    Instance,
    UserTaskInfo,
    masked_value,
)
from service.flows import service as flows_service
from service.tasks.models import Task
from service.tasks.schemas import Decision

# A payout task records the bank's reference, which the bank's result file repeats. Flows
# declare it (upload requires it); a flow version stored before declarations existed gets it.
BANK_REFERENCE = FieldSpec("bank_reference", "reference", 1, 100, required=True)


def default_fields(task: Task) -> tuple[FieldSpec, ...]:
    """What a task that declares nothing takes: the payout's reference, else nothing."""
    return (BANK_REFERENCE,) if task.role == FINANCE_OFFICER else ()


async def declared_task(session: AsyncSession, task: Task) -> UserTaskInfo | None:
    """What a task's flow version (a yearly review's own, or the case's) declares of it."""
    review = await session.get(Review, task.review_id) if task.review_id else None
    case = None if review else await session.get(Application, task.application_id)
    row = review or case
    assert row is not None
    return (await flows_service.parsed(session, row.flow_version_id)).user_task(task.spec)


async def declared_fields(session: AsyncSession, *, task_id: int) -> tuple[FieldSpec, ...]:
    """What a task takes, from its flow version (a yearly review's own, or the case's)."""
    task = await session.get(Task, task_id)
    if task is None:
        return ()
    declared = await declared_task(session, task)
    return (declared.fields if declared else ()) or default_fields(task)


async def offered_decisions(session: AsyncSession, task: Task) -> tuple[DecisionOption, ...]:
    """The decisions a task offers and their names, from its flow version: those its
    ``decision.*`` properties declare, or approve, reject and return."""
    declared = await declared_task(session, task)
    return declared.decisions if declared else DEFAULT_DECISIONS


async def proposal(session: AsyncSession, *, task_id: int) -> dict[str, tuple[Any, Any]]:
    """What a county approver's ready task decides on: each proposed change to what is paid,
    (approved, proposed), the card masked. Empty for any other task."""
    task = await session.get(Task, task_id)
    if task is None or task.role != COUNTY_APPROVER:
        return {}
    case = await session.get(Application, task.application_id)
    review = await session.get(Review, task.review_id) if task.review_id else None
    assert case is not None
    approved = changes.approved_values(case)
    instance = await progress.load_instance(session, review or case)
    proposed = instance.proposed(task.engine_task_id, approved)
    before, after = changes.shown({n: approved[n] for n in proposed}), changes.shown(proposed)
    return {name: (before[name], after[name]) for name in proposed}


def completing(task: Task, decision: Decision, case: Application) -> Callable[[Instance], Any]:
    """The engine step of completing ``task`` with ``decision``."""
    approved = changes.approved_values(case)

    def act(instance: Instance) -> Completed:
        return instance.complete(
            task.engine_task_id,
            lane=task.role,
            decision=decision.decision,
            comment=decision.comment or "",
            data=decision.data,
            default_fields=default_fields(task),
            approved=approved,
        )

    return act


def trail(completed: Completed) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the task's data changed, before and after, masked as the trail shows numbers."""
    if not completed.changes:
        return {}, {}
    types = {spec.name: spec.type for spec in completed.fields}
    before = {
        name: masked_value(types.get(name), old) for name, (old, _) in completed.changes.items()
    }
    after = {
        name: masked_value(types.get(name), new) for name, (_, new) in completed.changes.items()
    }
    return {"data": before}, {"data": after}


async def settle_proposal(
    session: AsyncSession,
    *,
    user: User,
    task: Task,
    case: Application,
    decision: Decision,
    completed: Completed,
) -> None:
    """A proposal must be one the county could approve; the county's approval applies it."""
    changes.check_proposal(case, completed.proposed)
    if task.role == COUNTY_APPROVER and decision.decision == "approve":
        changes.apply_approved(
            session,
            case=case,
            proposed=completed.proposed,
            actor=user,
            role=task.role,
            task_id=task.id,
        )


def bank_reference(completed: Completed) -> str:
    """The payout's reference, as the finance officer's approval recorded it."""
    return str(completed.values["bank_reference"])
