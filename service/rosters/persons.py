"""The person roster of a bank batch paid to an account (the pension fund's): who each line
pays for, one row per person, IDs masked.

The bank file of such a batch holds a line per payout to the fund's account; the fund needs to
know whose premium each line is (县财政代缴养老保险费, seed 001 line 249). This sheet lists
every insured person with the line's reference, so the fund reconciles its transfer by person
and the office can post it on a notice board (masked IDs, as the township roster).
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import User
from service.errors import Conflict
from service.masking import mask_id_number
from service.money import amount_cny
from service.payouts import batches
from service.payouts.models import PAYEE_HOUSEHOLD
from service.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Cell, Sheet

HEADER = ("序号", "业务参考号", "案件编号", "年度", "姓名", "身份证号", "金额(元)")
WIDTHS = (6, 16, 10, 8, 12, 22, 14)


async def batch_roster(
    session: AsyncSession, *, user: User, batch_id: int, file_format: str
) -> tuple[bytes, str, str]:
    """The roster of an account's batch: (content, media type, file name)."""
    batch = await batches.get_visible(session, user=user, batch_id=batch_id)
    assert batch.id is not None
    reference = batches.batch_reference(batch.id)
    if batch.payee == PAYEE_HOUSEHOLD:
        raise Conflict(
            f"{reference} pays the households' own cards: its lines are the persons",
            code="batch-roster-households",
            params={"batch": reference},
        )
    rows = await batches.lines_of(session, batch.id)
    account = await batches.account_of(session, rows)
    persons = await batches.persons_of(session, [line.payout_id for line, _, _ in rows])
    table: list[list[Cell]] = []
    total = 0
    for line, payout, _ in rows:
        for person in persons[line.payout_id]:
            total += person.amount_fen
            table.append(
                [
                    len(table) + 1,
                    line.reference,
                    payout.application_id,
                    payout.period,
                    person.name,
                    mask_id_number(person.id_number) or "",
                    amount_cny(person.amount_fen),
                ]
            )
    payee = account.name_zh if account else batches.PAYEE_NAMES.get(batch.payee, batch.payee)
    sheet = Sheet(
        name="花名册",
        title=f"{reference} {payee} 代缴人员花名册",
        header=HEADER,
        rows=table,
        footer=[["合计", f"{len(rows)}笔", "", "", f"{len(table)}人", "", amount_cny(total)]],
        widths=WIDTHS,
    )
    if file_format == "xlsx":
        return sheet.xlsx_bytes(), XLSX_MEDIA_TYPE, f"{reference}-persons.xlsx"
    return sheet.csv_bytes(), CSV_MEDIA_TYPE, f"{reference}-persons.csv"
