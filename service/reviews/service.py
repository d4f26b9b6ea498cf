"""The yearly re-certification 年审 of special-assistance households, run as BPMN.

Each enrolled household gets one review per year: an instance of the program's review flow
(workflows/special_assistance_review.bpmn) with its own village tasks. A review that ends at
``end_enrolled`` keeps the household enrolled; one that ends at ``end_ended`` ends the
enrolment (status ``ended``: no payouts for later years).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import progress
from service.applications.models import ENDED, ENROLLED, Application, Review
from service.audit import service as audit_service
from service.auth.models import COUNTY_APPROVER, User
from service.clock import utcnow
from service.engine import Completed, Instance, ReadyTask
from service.flows import service as flows_service
from service.life_events import reevaluation
from service.notifications import service as notifications_service
from service.programs.models import Program
from service.tasks.models import Task

IN_PROGRESS = "in_progress"
REVIEW_STATUS_OF_END = {"end_enrolled": ENROLLED, "end_ended": ENDED}


@dataclass
class ReviewRun:
    year: int
    started: int = 0
    existing: int = 0


async def start_year(
    session: AsyncSession, *, year: int, region: str, actor: User | None
) -> ReviewRun:
    """Open this year's review for every enrolled household under ``region`` (idempotent)."""
    run = ReviewRun(year=year)
    programs = (await session.exec(select(Program).where(Program.kind == "yearly"))).all()
    for program in programs:
        flow_version_id = (program.yearly or {}).get("review_flow_version_id")
        if not flow_version_id:
            continue
        flow = await flows_service.parsed(session, flow_version_id)
        cases = (
            await session.exec(
                select(Application).where(
                    Application.program_code == program.code,
                    Application.status == ENROLLED,
                    col(Application.village_code).startswith(region),
                )
            )
        ).all()
        for case in cases:
            assert case.id is not None
            existing = await session.exec(
                select(Review.id).where(Review.application_id == case.id, Review.year == year)
            )
            if existing.first() is not None:
                run.existing += 1
                continue
            data = {
                "year": year,
                "county": case.county_code,
                "time_limits": dict(program.time_limits or {}),
            }
            instance = Instance.start(flow, data)
            now = utcnow()
            review = Review(
                application_id=case.id,
                year=year,
                flow_version_id=flow_version_id,
                status=IN_PROGRESS,
                workflow_state=instance.dump(),
                next_timer_at=instance.next_timer_at(),
                created_at=now,
                updated_at=now,
            )
            session.add(review)
            await session.flush()
            await progress.sync_tasks(
                session,
                case=case,
                ready=instance.ready_tasks(),
                data=instance.data,
                review_id=review.id,
            )
            audit_service.record(
                session,
                action="review_started",
                actor=actor,
                role=COUNTY_APPROVER if actor else None,
                actor_name=None if actor else "relief-cli",
                region=case.village_code,
                application_id=case.id,
                after={"review_id": review.id, "year": year},
            )
            run.started += 1
    await audit_service.commit(session)
    return run


def status_of(instance: Instance) -> str:
    """A review's status: how its workflow ended, or in progress."""
    return REVIEW_STATUS_OF_END.get(instance.outcome() or "", IN_PROGRESS)


def status_rule(instance: Instance, _ready: list[ReadyTask]) -> str:
    """``status_of`` as ``progress.move`` asks for a row's new status."""
    return status_of(instance)


async def complete_task(
    session: AsyncSession,
    *,
    user: User,
    task: Task,
    case: Application,
    act: Callable[[Instance], Completed],
) -> tuple[str, str, list[Task], Completed]:
    """Complete a review task; returns the case's status before and after, the new tasks and
    what the task's data changed. A change to what is paid waits for the county (the review
    flow's county step): it reaches the case only through ``tasks.data.settle_proposal``."""
    review = await session.get(Review, task.review_id)
    assert review is not None
    moved = await progress.move(session, review, act, case=case, status=status_rule)
    review_status, created = moved.status, moved.created
    before = case.status
    if review_status == ENDED:
        await progress.save_case_status(session, case=case, status=ENDED)
        await notifications_service.status_changed(session, case=case, before=before, status=ENDED)
        return before, ENDED, created, moved.result
    if review_status == ENROLLED:
        # The household continues: the eligibility table is read again with this year's
        # facts, and a refusal waits for the county (service/life_events/reevaluation.py).
        await reevaluation.reevaluate_at_review(session, case=case, review=review, actor=user)
    return before, before, created, moved.result
