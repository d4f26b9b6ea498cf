"""Bank batches 批量代发: a county's pending payouts grouped into one file for the bank.

A batch pays one payee: the households' own cards (a line per household card), or one account
of the catalogue (the pension fund's: a line per payout, every line to the fund's account, its
summary naming the year and the persons; the per-person roster sheet lists each insured person
with the line's reference, see ``service/rosters/persons.py``). Lines stay per payout so the
bank's results, retries and recoveries stay per household whatever the payee.

A batch is made once and never changes its lines; the bank answers per line (see
``settlement``). While a line is open its payout awaits the bank, and nothing else may settle
that payout: not a second batch (a partial unique index), not the payout task, not ``pay``.
The batch records its line count and total, checked against the lines when it is made and on
every bank file.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, exists, not_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service import idempotency
from service.applications.models import Application
from service.audit import service as audit_service
from service.auth.models import FINANCE_OFFICER, User
from service.clock import utcnow
from service.errors import Conflict, Forbidden, NotFound, NothingToBatch
from service.masking import mask_card, mask_id_number
from service.money import amount_cny
from service.payouts.models import (
    BATCH_OPEN,
    LINE_FAILED,
    LINE_OPEN,
    LINE_PAID,
    PAYEE_HOUSEHOLD,
    PENDING,
    PayeeAccount,
    Payout,
    PayoutBatch,
    PayoutBatchLine,
    PayoutPerson,
)
from service.payouts.schemas import BatchLineRead, BatchPage, BatchRead, PayoutPersonRead
from service.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Sheet

# References are B + 6 digits, a dash and 4 digits: a batch holds at most 9,999 lines, and
# what is left waits for the next batch.
MAX_LINES = 9999
BANK_FILE_HEADER = ("姓名", "身份证号", "银行卡号", "金额(元)", "业务参考号")
# An account's batch (the pension fund's): every line to the account, with what it pays for.
ACCOUNT_FILE_HEADER = ("户名", "账号", "开户行", "金额(元)", "业务参考号", "摘要")
PAYEE_NAMES = {
    "household": "户卡",
    "pension_fund": "养老保险基金",
    "insurer": "保险公司",
    "reward": "举报奖励",
}


def batch_reference(batch_id: int) -> str:
    return f"B{batch_id:06d}"


def line_reference(batch_id: int, line_no: int) -> str:
    return f"{batch_reference(batch_id)}-{line_no:04d}"


def visible_to(user: User) -> ColumnElement[bool]:
    """Batches of counties within the caller's jurisdiction (county level and above)."""
    return col(PayoutBatch.county_code).startswith(user.jurisdiction)


def _in_open_line() -> Any:
    return exists().where(
        col(PayoutBatchLine.payout_id) == col(Payout.id), col(PayoutBatchLine.status) == LINE_OPEN
    )


async def open_line_for(
    session: AsyncSession, *, payout_id: int | None = None, application_id: int | None = None
) -> str | None:
    """The reference of the open batch line a payout (or a case's one-time payout) is in."""
    statement = (
        select(PayoutBatchLine.reference)
        .join(Payout, col(Payout.id) == PayoutBatchLine.payout_id)
        .where(PayoutBatchLine.status == LINE_OPEN)
    )
    if payout_id is not None:
        statement = statement.where(Payout.id == payout_id)
    if application_id is not None:
        statement = statement.where(
            Payout.application_id == application_id, Payout.period == "once"
        )
    return (await session.exec(statement)).first()


async def _batchable(
    session: AsyncSession,
    *,
    user: User,
    program: str | None,
    period: str | None,
    payee: str,
    account: str | None,
) -> list[tuple[Payout, str]]:
    statement = (
        select(Payout, Application.village_code)
        .join(Application, col(Application.id) == Payout.application_id)
        .where(
            Payout.status == PENDING,
            Payout.payee == payee,
            col(Payout.amount_fen) > 0,
            col(Application.village_code).startswith(user.jurisdiction),
            not_(_in_open_line()),
        )
        .order_by(col(Payout.id))
        .limit(MAX_LINES)
    )
    if program:
        statement = statement.where(Application.program_code == program)
    if period:
        statement = statement.where(Payout.period == period)
    if account:
        statement = statement.where(Payout.payee_account == account)
    rows = [(payout, village) for payout, village in (await session.exec(statement)).all()]
    if payee != PAYEE_HOUSEHOLD and rows:
        # One account per batch: the bank file holds one account's transfers.
        first = rows[0][0].payee_account
        rows = [row for row in rows if row[0].payee_account == first]
    return rows


async def _check_totals(session: AsyncSession, batch: PayoutBatch) -> tuple[int, int]:
    """The batch's line count and total must be those of its lines, to the fen."""
    count, total = (
        await session.exec(
            select(func.count(), func.coalesce(func.sum(PayoutBatchLine.amount_fen), 0)).where(
                PayoutBatchLine.batch_id == batch.id
            )
        )
    ).one()
    if (count, total) != (batch.line_count, batch.total_fen):
        raise Conflict(
            f"batch {batch_reference(batch.id or 0)} records {batch.line_count} lines and "
            f"{batch.total_fen} fen, its lines hold {count} and {total}: it must not be paid",
            code="batch-totals-mismatch",
            params={
                "batch": batch_reference(batch.id or 0),
                "line_count": batch.line_count,
                "total_fen": batch.total_fen,
                "count": int(count),
                "total": int(total),
            },
        )
    return int(count), int(total)


async def create(
    session: AsyncSession,
    *,
    user: User,
    program: str | None,
    period: str | None,
    payee: str = PAYEE_HOUSEHOLD,
    account: str | None = None,
) -> BatchRead:
    """Group the pending payouts to ``payee`` of the caller's county that no open batch holds
    (an account's payee: those of one account, ``account`` or the first found)."""
    assert user.id is not None
    if len(user.jurisdiction) != len(user.county):
        raise Forbidden(
            "bank batches are made by the county's finance officer",
            code="batch-finance-officer-only",
        )
    payouts = await _batchable(
        session, user=user, program=program, period=period, payee=payee, account=account
    )
    if not payouts:
        raise NothingToBatch(
            f"no pending payout to {payee} to batch: every one is paid or already batched",
            code="nothing-to-batch",
        )
    batch = PayoutBatch(
        county_code=user.county,
        program_code=program,
        period=period,
        payee=payee,
        status=BATCH_OPEN,
        line_count=len(payouts),
        total_fen=sum(payout.amount_fen for payout, _ in payouts),
        created_by=user.id,
        created_at=utcnow(),
    )
    session.add(batch)
    await session.flush()
    assert batch.id is not None
    batch_id = batch.id
    for line_no, (payout, village) in enumerate(payouts, start=1):
        reference = line_reference(batch_id, line_no)
        session.add(
            PayoutBatchLine(
                batch_id=batch_id,
                line_no=line_no,
                payout_id=payout.id or 0,
                reference=reference,
                amount_fen=payout.amount_fen,
                status=LINE_OPEN,
            )
        )
        audit_service.record(
            session,
            action="payout_batched",
            actor=user,
            role=FINANCE_OFFICER,
            region=village,
            application_id=payout.application_id,
            after={
                "payout_id": payout.id,
                "period": payout.period,
                "payee": payout.payee,
                "payee_account": payout.payee_account,
                "amount_fen": payout.amount_fen,
                "reference": reference,
            },
        )
    try:
        await session.flush()
    except IntegrityError:
        await audit_service.roll_back(session)
        raise Conflict(
            "another batch took some of these payouts meanwhile; try again",
            code="payouts-batched-meanwhile",
        ) from None
    await _check_totals(session, batch)
    audit_service.record(
        session,
        action="payout_batch_created",
        actor=user,
        role=FINANCE_OFFICER,
        region=user.jurisdiction,
        after={
            "batch_id": batch_id,
            "reference": batch_reference(batch_id),
            "program": program,
            "period": period,
            "payee": payee,
            "payee_account": payouts[0][0].payee_account,
            "line_count": batch.line_count,
            "total_fen": batch.total_fen,
        },
    )
    # The answer is built before the commit, so a retry's record commits with the batch.
    detail = await get(session, user=user, batch_id=batch_id)
    idempotency.stage(session, detail)
    await audit_service.commit(session)
    return detail


# --- reading -----------------------------------------------------------------------------


async def get_visible(
    session: AsyncSession, *, user: User, batch_id: int, for_update: bool = False
) -> PayoutBatch:
    statement = select(PayoutBatch).where(PayoutBatch.id == batch_id, visible_to(user))
    if for_update:
        statement = statement.with_for_update()
    batch = (await session.exec(statement)).first()
    if batch is None:
        raise NotFound(
            f"no payout batch {batch_id}", code="batch-not-found", params={"batch_id": batch_id}
        )
    return batch


async def _tallies(session: AsyncSession, batch_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per batch and line status: how many lines and how many fen."""
    rows = await session.exec(
        select(
            PayoutBatchLine.batch_id,
            PayoutBatchLine.status,
            func.count(),
            func.sum(PayoutBatchLine.amount_fen),
        )
        .where(col(PayoutBatchLine.batch_id).in_(batch_ids))
        .group_by(col(PayoutBatchLine.batch_id), col(PayoutBatchLine.status))
    )
    tallies: dict[int, dict[str, Any]] = defaultdict(dict)
    for batch_id, status, count, total in rows.all():
        tallies[batch_id][status] = (int(count), int(total or 0))
    return tallies


async def _summaries(session: AsyncSession, batches: list[PayoutBatch]) -> list[BatchRead]:
    ids = [batch.id for batch in batches if batch.id is not None]
    tallies = await _tallies(session, ids)
    creators = {batch.created_by for batch in batches}
    names = dict(
        (await session.exec(select(User.id, User.username).where(col(User.id).in_(creators)))).all()
    )
    reads = []
    for batch in batches:
        assert batch.id is not None
        tally = tallies.get(batch.id, {})
        paid, failed, still = (tally.get(s, (0, 0)) for s in (LINE_PAID, LINE_FAILED, LINE_OPEN))
        reads.append(
            BatchRead(
                id=batch.id,
                reference=batch_reference(batch.id),
                county=batch.county_code,
                program=batch.program_code,
                period=batch.period,
                payee=batch.payee,
                status=batch.status,
                line_count=batch.line_count,
                total_fen=batch.total_fen,
                total_cny=amount_cny(batch.total_fen),
                paid_count=paid[0],
                paid_fen=paid[1],
                failed_count=failed[0],
                failed_fen=failed[1],
                open_count=still[0],
                created_by=names.get(batch.created_by, str(batch.created_by)),
                created_at=batch.created_at,
                settled_at=batch.settled_at,
            )
        )
    return reads


async def list_batches(
    session: AsyncSession, *, user: User, status: str | None, cursor: int | None, limit: int
) -> BatchPage:
    """Batches of the caller's county, newest first (``cursor``: the last id seen)."""
    statement = select(PayoutBatch).where(visible_to(user))
    if status:
        statement = statement.where(PayoutBatch.status == status)
    if cursor:
        statement = statement.where(col(PayoutBatch.id) < cursor)
    statement = statement.order_by(col(PayoutBatch.id).desc()).limit(limit)
    batches = list((await session.exec(statement)).all())
    next_cursor = batches[-1].id if len(batches) == limit else None
    return BatchPage(items=await _summaries(session, batches), next_cursor=next_cursor)


async def lines_of(session: AsyncSession, batch_id: int) -> list[Any]:
    statement = (
        select(PayoutBatchLine, Payout, Application)
        .join(Payout, col(Payout.id) == PayoutBatchLine.payout_id)
        .join(Application, col(Application.id) == Payout.application_id)
        .where(PayoutBatchLine.batch_id == batch_id)
        .order_by(col(PayoutBatchLine.line_no))
    )
    return list((await session.exec(statement)).all())


async def account_of(session: AsyncSession, rows: list[Any]) -> PayeeAccount | None:
    """The account an account payee's batch pays (its lines' payouts all name it)."""
    keys = {payout.payee_account for _, payout, _ in rows if payout.payee_account}
    if not keys:
        return None
    return await session.get(PayeeAccount, sorted(keys)[0])


async def persons_of(session: AsyncSession, payout_ids: list[int]) -> dict[int, list[Any]]:
    """Per payout, its person lines in order."""
    persons: dict[int, list[Any]] = defaultdict(list)
    if payout_ids:
        statement = (
            select(PayoutPerson)
            .where(col(PayoutPerson.payout_id).in_(payout_ids))
            .order_by(col(PayoutPerson.payout_id), col(PayoutPerson.line_no))
        )
        for person in (await session.exec(statement)).all():
            persons[person.payout_id].append(person)
    return persons


async def get(session: AsyncSession, *, user: User, batch_id: int) -> BatchRead:
    """One batch with its lines; card and account numbers masked, persons' IDs masked."""
    batch = await get_visible(session, user=user, batch_id=batch_id)
    (read,) = await _summaries(session, [batch])
    rows = await lines_of(session, batch_id)
    account = await account_of(session, rows)
    if account is not None:
        read.payee_account = account.key
        read.payee_name = account.name_zh
    persons = await persons_of(session, [line.payout_id for line, _, _ in rows])
    read.lines = [
        BatchLineRead(
            line_no=line.line_no,
            reference=line.reference,
            payout_id=line.payout_id,
            application_id=payout.application_id,
            period=payout.period,
            name=case.applicant_name,
            bank_card=mask_card(account.account if account else case.bank_card) or "",
            persons=[PayoutPersonRead.model_validate(p) for p in persons[line.payout_id]],
            amount_fen=line.amount_fen,
            amount_cny=amount_cny(line.amount_fen),
            status=line.status,
            bank_reference=line.bank_reference,
            reason=line.reason,
            result_at=line.result_at,
        )
        for line, payout, case in rows
    ]
    return read


# --- the bank file ---------------------------------------------------------------------------


async def bank_file(
    session: AsyncSession, *, user: User, batch_id: int, file_format: str
) -> tuple[bytes, str, str]:
    """The file for the bank: (content, media type, file name). An audit event, because it
    is the one place where full card numbers leave the service.

    It holds the lines still awaiting the bank's result: the whole batch until results come
    in. A line whose payout was cancelled after batching (the case was revoked) stops the
    download: record it failed first, so its money is not sent.
    """
    batch = await get_visible(session, user=user, batch_id=batch_id)
    assert batch.id is not None
    reference = batch_reference(batch.id)
    await _check_totals(session, batch)
    rows = [row for row in await lines_of(session, batch.id) if row[0].status == LINE_OPEN]
    if not rows:
        raise Conflict(
            f"every line of {reference} has the bank's result: nothing to send",
            code="batch-nothing-to-send",
            params={"batch": reference},
        )
    stopped = [line.reference for line, payout, _ in rows if payout.status != PENDING]
    if stopped:
        raise Conflict(
            f"the payouts of {', '.join(stopped)} were cancelled after batching; record these "
            "lines as failed (not sent) before the file goes to the bank",
            lines=stopped,
            code="batch-lines-cancelled",
            params={"lines": stopped},
        )
    total = sum(line.amount_fen for line, _, _ in rows)
    account = await account_of(session, rows) if batch.payee != PAYEE_HOUSEHOLD else None
    if account is not None:
        sheet = await _account_sheet(session, reference, account, rows, total)
    else:
        sheet = Sheet(
            name=reference,
            header=BANK_FILE_HEADER,
            rows=[
                [
                    case.applicant_name,
                    mask_id_number(case.applicant_id_number),
                    case.bank_card,
                    amount_cny(line.amount_fen),
                    line.reference,
                ]
                for line, _, case in rows
            ],
            footer=[["合计", f"{len(rows)}笔", "", amount_cny(total), reference]],
            widths=(12, 22, 24, 14, 16),
        )
    xlsx = file_format == "xlsx"
    content = sheet.xlsx_bytes() if xlsx else sheet.csv_bytes()
    audit_service.record(
        session,
        action="payout_bank_file_downloaded",
        actor=user,
        role=FINANCE_OFFICER,
        region=batch.county_code,
        after={
            "batch_id": batch.id,
            "reference": reference,
            "payee": batch.payee,
            "format": file_format,
            "line_count": len(rows),
            "total_fen": total,
            "payout_ids": [line.payout_id for line, _, _ in rows],
        },
    )
    await audit_service.commit(session)
    media_type = XLSX_MEDIA_TYPE if xlsx else CSV_MEDIA_TYPE
    return content, media_type, f"{reference}.{file_format}"


async def _account_sheet(
    session: AsyncSession, reference: str, account: PayeeAccount, rows: list[Any], total: int
) -> Sheet:
    """Every line to the account, its summary naming the year, the case and how many persons
    it pays for (their names and masked IDs are on the batch's person roster)."""
    persons = await persons_of(session, [line.payout_id for line, _, _ in rows])
    return Sheet(
        name=reference,
        header=ACCOUNT_FILE_HEADER,
        rows=[
            [
                account.name_zh,
                account.account,
                account.bank,
                amount_cny(line.amount_fen),
                line.reference,
                f"{payout.period}年度{PAYEE_NAMES.get(payout.payee, payout.payee)}"
                f" 案件{payout.application_id} {len(persons[line.payout_id])}人",
            ]
            for line, payout, _ in rows
        ],
        footer=[["合计", f"{len(rows)}笔", "", amount_cny(total), reference, ""]],
        widths=(24, 26, 24, 14, 16, 36),
    )
