"""``relief doctor``: check that what is stored agrees with itself, after a crash or any time.

Read only; it never repairs. For every case (and every yearly review) it restores the stored
workflow instance and compares it with the rows that mirror it:

- the task table's ``ready`` rows of that workflow are exactly the engine's ready manual tasks
  (the same engine task ids, each row's role the task's lane);
- the stored status is the one ``progress.derive_status`` gives the instance. A case ended by a
  command rather than by its flow is checked for what that command leaves: a withdrawn or
  revoked case holds a cancelled workflow (nothing ready, nothing waiting); an ended enrolment
  (``ended``, set when a yearly review ends it) holds a flow that finished at ``end_enrolled``;
- the one-time payout follows the status: pending exactly while the case is ``approved``, paid
  (with the bank's reference) when it is ``paid``.

Then the money and the trail as a whole: one payout per case and period, no payout paid twice
(two ``payout_paid`` events or two paid bank lines), every paid payout carries a bank reference
and a payment time, and every county's audit chain verifies.

Cases are read in pages of ``PAGE`` by id, each page in one snapshot (REPEATABLE READ on
PostgreSQL, a read transaction on SQLite), so it runs in bounded memory on a million cases
and does not report a case that a running server moved between two of its queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import progress
from service.applications.models import (
    APPROVED,
    ENDED,
    ENROLLED,
    PAID,
    REVOKED,
    WITHDRAWN,
    Application,
    Review,
)
from service.audit import service as audit_service
from service.audit.models import AuditEvent, AuditHead
from service.engine import Instance, ReadyTask
from service.flows import service as flows_service
from service.payouts import models as payouts
from service.payouts.models import Payout, PayoutBatchLine
from service.reviews import service as reviews_service
from service.tasks.models import READY, Task

PAGE = 500
# Statuses a command sets by cancelling the workflow where it stands.
CANCELLED_BY_COMMAND = (WITHDRAWN, REVOKED)


@dataclass
class Report:
    cases: int = 0
    reviews: int = 0
    payouts: int = 0
    chains: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        return (
            f"doctor: {self.cases} cases, {self.reviews} reviews, {self.payouts} payouts, "
            f"{self.chains} audit chain(s) checked: {verdict}"
        )


Emit = Callable[[str], None]


async def check(session: AsyncSession, *, emit: Emit | None = None) -> Report:
    """Run every check; ``emit`` receives each problem line as it is found."""
    report = Report()

    def problem(line: str) -> None:
        report.problems.append(line)
        if emit is not None:
            emit(line)

    await _check_cases(session, report, problem)
    await _check_payouts(session, report, problem)
    await _check_chains(session, report, problem)
    return report


# --- cases and reviews, page by page ---------------------------------------------------------


async def _snapshot(session: AsyncSession) -> None:
    """Start the page's transaction as one snapshot of the whole database."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def _check_cases(session: AsyncSession, report: Report, problem: Emit) -> None:
    after = 0
    while True:
        await _snapshot(session)
        cases = (
            await session.exec(
                select(
                    Application.id,
                    Application.flow_version_id,
                    Application.status,
                    Application.workflow_state,
                )
                .where(col(Application.id) > after)
                .order_by(col(Application.id))
                .limit(PAGE)
            )
        ).all()
        if not cases:
            await session.rollback()
            return
        ids = [row[0] for row in cases if row[0] is not None]
        rows = await _ready_rows(session, ids)
        once = {
            payout.application_id: payout
            for payout in (
                await session.exec(
                    select(Payout).where(
                        col(Payout.application_id).in_(ids), Payout.period == payouts.ONCE
                    )
                )
            ).all()
        }
        for case_id, flow_version_id, status, state in cases:
            assert case_id is not None
            report.cases += 1
            ready = await _instance_ready(
                session, f"case {case_id}", flow_version_id, state, problem
            )
            if ready is not None:
                instance, tasks = ready
                _compare_tasks(f"case {case_id}", rows.get((case_id, None), {}), tasks, problem)
                _compare_case_status(case_id, status, instance, tasks, problem)
            _compare_payout(case_id, status, once.get(case_id), problem)
        await _check_reviews(session, ids, rows, report, problem)
        # Nothing is written: end the page's snapshot so the next page sees the present.
        await session.rollback()
        after = ids[-1]


async def _check_reviews(
    session: AsyncSession,
    case_ids: list[int],
    rows: dict[tuple[int, int | None], dict[str, Task]],
    report: Report,
    problem: Emit,
) -> None:
    reviews = (
        await session.exec(
            select(Review).where(col(Review.application_id).in_(case_ids)).order_by(col(Review.id))
        )
    ).all()
    for review in reviews:
        report.reviews += 1
        case_id, review_id, status = review.application_id, review.id, review.status
        where = f"case {case_id} review {review_id}"
        ready = await _instance_ready(
            session, where, review.flow_version_id, review.workflow_state, problem
        )
        if ready is None:
            continue
        instance, tasks = ready
        _compare_tasks(where, rows.get((case_id, review_id), {}), tasks, problem)
        derived = reviews_service.status_of(instance)
        if status == ENDED and derived != ENDED:
            # A revocation ends a review under way by cancelling its workflow.
            if tasks or instance.waiting_at():
                problem(f"{where}: status is ended but its workflow still runs")
        elif status != derived:
            problem(f"{where}: status is {status} but the workflow says {derived}")


async def _ready_rows(
    session: AsyncSession, case_ids: list[int]
) -> dict[tuple[int, int | None], dict[str, Task]]:
    """The ready task rows of these cases, by (case, review or None) and engine task id."""
    found: dict[tuple[int, int | None], dict[str, Task]] = defaultdict(dict)
    tasks = (
        await session.exec(
            select(Task).where(col(Task.application_id).in_(case_ids), Task.status == READY)
        )
    ).all()
    for task in tasks:
        found[(task.application_id, task.review_id)][task.engine_task_id] = task
    return found


async def _instance_ready(
    session: AsyncSession, where: str, flow_version_id: int, state: bytes, problem: Emit
) -> tuple[Instance, list[ReadyTask]] | None:
    try:
        flow = await flows_service.parsed(session, flow_version_id)
        instance = Instance.load(flow, state)
        return instance, instance.ready_tasks()
    except Exception as error:  # noqa: BLE001 - any failure to restore is the finding
        problem(f"{where}: the stored workflow does not load ({type(error).__name__}: {error})")
        return None


def _compare_tasks(
    where: str, rows: dict[str, Task], ready: list[ReadyTask], problem: Emit
) -> None:
    engine = {task.engine_task_id: task for task in ready}
    for engine_task_id in sorted(engine.keys() - rows.keys()):
        task = engine[engine_task_id]
        problem(f"{where}: the engine's ready task {task.spec} ({engine_task_id}) has no ready row")
    for engine_task_id in sorted(rows.keys() - engine.keys()):
        row = rows[engine_task_id]
        problem(
            f"{where}: task row {row.id} ({row.spec}) is ready but the engine has no such "
            "ready task"
        )
    for engine_task_id in sorted(rows.keys() & engine.keys()):
        row, task = rows[engine_task_id], engine[engine_task_id]
        if row.role != task.lane or row.spec != task.spec:
            problem(
                f"{where}: task row {row.id} is {row.spec} for {row.role}, the engine's task "
                f"is {task.spec} in lane {task.lane}"
            )


def _compare_case_status(
    case_id: int, status: str, instance: Instance, ready: list[ReadyTask], problem: Emit
) -> None:
    where = f"case {case_id}"
    if status in CANCELLED_BY_COMMAND:
        if ready or instance.waiting_at():
            problem(f"{where}: status is {status} but its workflow still runs")
        return
    try:
        derived = progress.derive_status(instance, ready)
    except Exception as error:  # noqa: BLE001 - a flow that names no status is a finding too
        problem(f"{where}: no status follows from the workflow ({error})")
        return
    expected = ENROLLED if status == ENDED else status
    if derived != expected:
        problem(f"{where}: status is {status} but the workflow says {derived}")


def _compare_payout(case_id: int, status: str, payout: Payout | None, problem: Emit) -> None:
    where = f"case {case_id}"
    pending = payout is not None and payout.status == payouts.PENDING
    if status == APPROVED and not pending:
        found = payout.status if payout is not None else "none"
        problem(f"{where}: approved, but its payout is {found} instead of pending")
    elif pending and status != APPROVED:
        problem(f"{where}: its payout is pending but the case is {status}")
    if status == PAID and (payout is None or payout.status != payouts.PAID):
        found = payout.status if payout is not None else "none"
        problem(f"{where}: paid, but its payout is {found}")


# --- money as a whole -------------------------------------------------------------------------


async def _check_payouts(session: AsyncSession, report: Report, problem: Emit) -> None:
    report.payouts = (await session.exec(select(func.count()).select_from(Payout))).one()
    doubled = await session.exec(
        select(Payout.application_id, Payout.period, Payout.payee, func.count())
        .group_by(col(Payout.application_id), col(Payout.period), col(Payout.payee))
        .having(func.count() > 1)
    )
    for case_id, period, payee, count in doubled.all():
        problem(f"case {case_id}: {count} payouts to {payee} for period {period}")
    unreferenced = await session.exec(
        select(Payout.id, Payout.application_id).where(
            Payout.status == payouts.PAID,
            sa.or_(
                col(Payout.bank_reference).is_(None),
                col(Payout.bank_reference) == "",
                col(Payout.paid_at).is_(None),
            ),
        )
    )
    for payout_id, case_id in unreferenced.all():
        problem(f"case {case_id}: payout {payout_id} is paid without a bank reference or time")
    lines = await session.exec(
        select(PayoutBatchLine.payout_id, func.count())
        .where(PayoutBatchLine.status == payouts.LINE_PAID)
        .group_by(col(PayoutBatchLine.payout_id))
        .having(func.count() > 1)
    )
    for line_payout, count in lines.all():
        problem(f"payout {line_payout}: paid by {count} bank batch lines")
    after: Any = AuditEvent.__table__.c.after  # type: ignore[attr-defined]
    paid_id = after["payout_id"].as_integer()
    paid_events = await session.exec(
        select(AuditEvent.application_id, paid_id, func.count())
        .where(AuditEvent.action == "payout_paid")
        .group_by(col(AuditEvent.application_id), paid_id)
        .having(func.count() > 1)
    )
    for event_case, paid_payout, count in paid_events.all():
        problem(
            f"case {event_case}: payout {paid_payout} was paid {count} times (payout_paid events)"
        )
    await session.rollback()


async def _check_chains(session: AsyncSession, report: Report, problem: Emit) -> None:
    heads = (await session.exec(select(AuditHead.county))).all()
    chains = (await session.exec(select(AuditEvent.county).distinct())).all()
    for county in sorted({*heads, *chains}):
        report.chains += 1
        chain = await audit_service.verify(session, counties=[county])
        if not chain.ok:
            problem(f"audit chain {county}: does not verify: {chain.first_broken}")
        await session.rollback()
