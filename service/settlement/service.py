"""The bank's results of a batch, line by line: paid lines pay, failed lines go back to pending.

The whole request is checked first (every reference in the batch, every amount the line's, no
line answered two ways); a request that fails the check changes nothing. Then each line is its
own transaction, so a line that cannot be settled (its task was claimed by a colleague, say)
is reported and left open while the others go through. A paid one-time payout is settled by
completing the case's payout task through the same code as ``POST /tasks/{id}/complete``, so
the case's status, trail and household claim follow as if the officer had done it by hand.
Posting the same results again changes nothing: a line that has its result is left alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import REVOKED, Application
from service.audit import service as audit_service
from service.auth.models import FINANCE_OFFICER, User
from service.clock import utcnow
from service.errors import Conflict, InvalidInput, ItemProblem, ReliefError, field_error
from service.money import fen_of_yuan
from service.payouts import batches
from service.payouts import service as payouts_service
from service.payouts.models import (
    BATCH_OPEN,
    BATCH_SETTLED,
    CANCELLED,
    LINE_FAILED,
    LINE_OPEN,
    LINE_PAID,
    ONCE,
    PAID,
    PAYEE_HOUSEHOLD,
    PENDING,
    Payout,
    PayoutBatch,
    PayoutBatchLine,
)
from service.payouts.schemas import LineOutcome, LineResult, ResultsOutcome
from service.recoveries import service as recoveries_service
from service.spreadsheets import read_uploaded_csv
from service.tasks import service as tasks_service
from service.tasks.models import READY, Task
from service.tasks.schemas import Decision

RESULT_COLUMNS = ("reference", "status", "bank_reference", "reason", "amount_fen")


async def record_results(
    session: AsyncSession, *, user: User, batch_id: int, results: list[LineResult]
) -> ResultsOutcome:
    """Record the bank's result of each line; the batch settles when every line has one."""
    await batches.get_visible(session, user=user, batch_id=batch_id)
    lines = {
        line.reference: line
        for line in (
            await session.exec(select(PayoutBatchLine).where(PayoutBatchLine.batch_id == batch_id))
        ).all()
    }
    _check(results, lines)
    # What the check read, kept as plain values: the check's transaction ends here, and each
    # line is a transaction of its own (on SQLite a write lock per line, not one per file).
    answered = {ref: (line.id or 0, line.status != LINE_OPEN) for ref, line in lines.items()}
    await session.rollback()
    outcomes = []
    for result in results:
        line_id, has_result = answered[result.reference]
        if has_result:
            outcomes.append(LineOutcome(reference=result.reference, result="unchanged"))
            continue
        session.expunge_all()  # nothing read for one line is trusted for the next
        try:
            done = await _record_line(session, user=user, line_id=line_id, result=result)
        except ReliefError as error:
            await audit_service.roll_back(session)
            outcomes.append(
                LineOutcome(
                    reference=result.reference, result="refused", problem=ItemProblem.of(error)
                )
            )
            continue
        outcomes.append(
            LineOutcome(reference=result.reference, result="recorded" if done else "unchanged")
        )
    session.expunge_all()
    await _settle_if_answered(session, user=user, batch_id=batch_id)
    detail = await batches.get(session, user=user, batch_id=batch_id)
    await session.rollback()
    return ResultsOutcome(
        recorded=sum(o.result == "recorded" for o in outcomes),
        unchanged=sum(o.result == "unchanged" for o in outcomes),
        refused=sum(o.result == "refused" for o in outcomes),
        lines=outcomes,
        batch=detail,
    )


def _check(results: list[LineResult], lines: dict[str, PayoutBatchLine]) -> None:
    """Refuse the whole request (nothing changed) on any line that does not fit the batch."""
    errors: list[dict[str, Any]] = []
    conflicts: list[str] = []
    seen: set[str] = set()
    for index, result in enumerate(results):
        where = f"lines[{index}]"
        line = lines.get(result.reference)
        if result.reference in seen:
            errors.append(
                field_error(
                    f"{where}.reference",
                    "the line is listed twice",
                    code="result-line-duplicate",
                    params={"reference": result.reference},
                )
            )
        elif line is None:
            errors.append(
                field_error(
                    f"{where}.reference",
                    "no such line in the batch",
                    code="result-line-unknown",
                    params={"reference": result.reference},
                )
            )
        elif result.amount_fen != line.amount_fen:
            errors.append(
                field_error(
                    f"{where}.amount_fen",
                    f"the bank's amount {result.amount_fen} fen is not the line's "
                    f"{line.amount_fen} fen",
                    code="result-amount-mismatch",
                    params={
                        "reference": result.reference,
                        "amount_fen": result.amount_fen,
                        "line_amount_fen": line.amount_fen,
                    },
                )
            )
        elif line.status != LINE_OPEN and _contradicts(line, result):
            conflicts.append(line.reference)
        seen.add(result.reference)
    if errors:
        error = InvalidInput(
            f"{len(errors)} line(s) do not match the batch; nothing was recorded: "
            + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]),
            code="result-lines-mismatch",
            params={"count": len(errors), "fields": [e["field"] for e in errors]},
        )
        error.extra["errors"] = errors
        raise error
    if conflicts:
        raise Conflict(
            f"the bank's result of {', '.join(conflicts)} is already recorded otherwise; a "
            "recorded result is final (nothing was recorded)",
            lines=conflicts,
            code="batch-results-conflict",
            params={"lines": conflicts},
        )


def _contradicts(line: PayoutBatchLine, result: LineResult) -> bool:
    if line.status != result.status:
        return True
    given = result.bank_reference
    return line.status == LINE_PAID and given is not None and given != line.bank_reference


async def _record_line(
    session: AsyncSession, *, user: User, line_id: int, result: LineResult
) -> bool:
    """One line's result and what follows from it, in one transaction; False if another
    request recorded it first."""
    line = await session.get(PayoutBatchLine, line_id)
    assert line is not None
    payout = await session.get(Payout, line.payout_id)
    assert payout is not None
    case = await session.get(Application, payout.application_id)
    assert case is not None
    bank_reference = result.bank_reference or line.reference
    moved = await session.exec(
        update(PayoutBatchLine)
        .where(col(PayoutBatchLine.id) == line_id, col(PayoutBatchLine.status) == LINE_OPEN)
        .values(
            status=result.status,
            bank_reference=bank_reference if result.status == LINE_PAID else None,
            reason=result.reason,
            result_at=utcnow(),
            result_by=user.id,
        )
    )
    if moved.rowcount != 1:
        await session.rollback()
        return False
    audit_service.record(
        session,
        action=f"payout_line_{result.status}",
        actor=user,
        role=FINANCE_OFFICER,
        region=case.village_code,
        application_id=case.id,
        after={
            "payout_id": payout.id,
            "reference": line.reference,
            "amount_fen": line.amount_fen,
            "status": result.status,
            "bank_reference": bank_reference if result.status == LINE_PAID else None,
            "reason": result.reason,
        },
    )
    if result.status != LINE_PAID:
        # Back to pending: the payout is in no open line now, and a later batch may take it.
        await session.exec(
            update(Payout).where(col(Payout.id) == payout.id).values(last_failure=result.reason)
        )
        await audit_service.commit(session)
        return True
    await _pay(session, user=user, line=line, payout=payout, case=case, reference=bank_reference)
    return True


async def _pay(
    session: AsyncSession,
    *,
    user: User,
    line: PayoutBatchLine,
    payout: Payout,
    case: Application,
    reference: str,
) -> None:
    """Settle a paid line's payout the way a single payment would be; each path commits."""
    assert payout.id is not None
    # A household's one-time payout is its case's payout task; any other payout is paid alone.
    if payout.status == PENDING and payout.period == ONCE and payout.payee == PAYEE_HOUSEHOLD:
        task = (
            await session.exec(
                select(Task).where(
                    Task.application_id == case.id,
                    Task.role == FINANCE_OFFICER,
                    Task.status == READY,
                    col(Task.review_id).is_(None),
                )
            )
        ).first()
        if task is None or task.id is None:
            raise Conflict(
                f"case {case.id} has no open payout task to complete",
                code="payout-task-missing",
                params={"application_id": case.id},
            )
        decision = Decision(
            decision="approve",
            comment=f"银行批量代发 bank batch {line.reference}",
            data={"bank_reference": reference},
        )
        await tasks_service.complete(session, user=user, task_id=task.id, decision=decision)
    elif payout.status == PENDING:
        await payouts_service.pay(session, user=user, payout_id=payout.id, reference=reference)
    elif payout.status == CANCELLED and case.status == REVOKED:
        await _paid_after_revocation(session, user=user, payout=payout, case=case, ref=reference)
    else:
        raise Conflict(
            f"payout {payout.id} is {payout.status}: settle this line by hand",
            code="payout-settle-by-hand",
            params={"payout_id": payout.id, "status": payout.status},
        )


async def _paid_after_revocation(
    session: AsyncSession, *, user: User, payout: Payout, case: Application, ref: str
) -> None:
    """The bank paid a payout the county cancelled while the file was out: the money is on
    the card all the same, so the payout is paid and, the case being revoked, a recovery."""
    moved = await session.exec(
        update(Payout)
        .where(col(Payout.id) == payout.id, col(Payout.status) == CANCELLED)
        .values(status=PAID, bank_reference=ref, paid_at=utcnow(), paid_by=user.id)
    )
    if moved.rowcount != 1:
        raise Conflict(
            f"payout {payout.id} changed meanwhile; post the result again",
            code="payout-changed-meanwhile",
            params={"payout_id": payout.id},
        )
    await session.refresh(payout)
    payouts_service.record_event(
        session, "payout_paid", case=case, payout=payout, actor=user, role=FINANCE_OFFICER
    )
    await recoveries_service.open_for_payout(
        session,
        case=case,
        payout=payout,
        reason="银行已打卡发放，但案件已被撤销 the bank paid after the case was revoked",
        actor=user,
        role=FINANCE_OFFICER,
    )
    await audit_service.commit(session)


async def _settle_if_answered(session: AsyncSession, *, user: User, batch_id: int) -> None:
    """Once every line has the bank's result, the batch settles (its totals checked again)."""
    batch = (
        await session.exec(select(PayoutBatch).where(PayoutBatch.id == batch_id).with_for_update())
    ).one()
    tally = dict(
        (
            await session.exec(
                select(PayoutBatchLine.status, func.sum(PayoutBatchLine.amount_fen))
                .where(PayoutBatchLine.batch_id == batch.id)
                .group_by(col(PayoutBatchLine.status))
            )
        ).all()
    )
    if tally.get(LINE_OPEN) or batch.status != BATCH_OPEN:
        await session.rollback()
        return
    if sum(int(total or 0) for total in tally.values()) != batch.total_fen:
        raise Conflict(
            f"the lines of batch {batch.id} do not add up to its total",
            code="batch-lines-total-mismatch",
            params={"batch_id": batch.id},
        )
    settled = await session.exec(
        update(PayoutBatch)
        .where(col(PayoutBatch.id) == batch.id, col(PayoutBatch.status) == BATCH_OPEN)
        .values(status=BATCH_SETTLED, settled_at=utcnow())
    )
    if settled.rowcount != 1:
        await session.rollback()  # another request settled it
        return
    audit_service.record(
        session,
        action="payout_batch_settled",
        actor=user,
        role=FINANCE_OFFICER,
        region=batch.county_code,
        after={
            "batch_id": batch.id,
            "reference": batches.batch_reference(batch_id),
            "paid_fen": int(tally.get(LINE_PAID) or 0),
            "failed_fen": int(tally.get(LINE_FAILED) or 0),
            "total_fen": batch.total_fen,
        },
    )
    await audit_service.commit(session)


# --- the bank's result file ------------------------------------------------------------------


def _fen(row: dict[str, str]) -> Any:
    """``amount_fen``, or ``amount`` in yuan with at most two decimals (exact)."""
    if row.get("amount_fen", "").strip():
        return row["amount_fen"].strip()
    text = row.get("amount", "").strip()
    fen = fen_of_yuan(text)
    return text if fen is None else fen  # text: refused by the schema with the line's number


def parse_result_file(content: bytes) -> list[LineResult]:
    """The bank's result file: CSV (UTF-8, a BOM allowed) with a header row naming the
    columns reference, status, amount_fen (or amount in yuan), bank_reference, reason."""

    def header_fits(columns: set[str]) -> bool:
        return {"reference", "status"} <= columns and bool({"amount_fen", "amount"} & columns)

    def parse(row: dict[str, str]) -> LineResult | None:
        if not any(row.values()):
            return None
        return LineResult.model_validate(
            {
                "reference": row.get("reference"),
                "status": row.get("status"),
                "amount_fen": _fen(row),
                "bank_reference": row.get("bank_reference") or None,
                "reason": row.get("reason") or None,
            }
        )

    return read_uploaded_csv(
        content,
        what="result file",
        columns=RESULT_COLUMNS,
        header_fits=header_fits,
        parse=parse,
    )
