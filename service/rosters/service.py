"""The township roster 花名册: the cases a township sent up to the county, as the province's
tables list them, for the township and the county to download.

A case is on a year's roster of a program when the township approved it that year (office
time); approved again after a return, it counts at its latest approval. Resident IDs are
masked: the roster goes round offices and notice boards, the full numbers stay in the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.auth.models import TOWNSHIP_REVIEWER, User
from service.clock import local_year_bounds
from service.config import get_settings
from service.errors import InvalidInput, NotFound
from service.masking import mask_id_number
from service.money import amount_cny
from service.payouts import county_amounts
from service.payouts.models import CANCELLED, ONCE, PAYEE_HOUSEHOLD, Payout
from service.programs.models import Program
from service.regions.models import TOWNSHIP, Region
from service.spreadsheets import Cell, Sheet
from service.tasks.models import COMPLETED, Task

HEADER = (
    "序号", "姓名", "性别", "出生年月", "身份证号", "村", "项目", "事件类别", "事件日期",
    "扶助金额(元)", "乡镇审核日期", "当前状态",
)  # fmt: skip
WIDTHS = (6, 10, 6, 10, 22, 12, 12, 14, 12, 14, 14, 14)
EVENT_NAMES = {
    "child_death": "独生子女死亡",
    "child_disability": "独生子女伤残",
    "accidental_death": "意外死亡",
    "accident_injury": "意外伤害",
    "disability": "伤残",
    "serious_illness": "重大疾病",
    "disaster": "自然灾害",
    "sterilisation": "结扎（绝育）手术",
    "only_child_reward_year": "独生子女父母奖励年度",
    "second_child_waiver": "主动放弃二胎生育指标",
}
STATUS_NAMES = {
    "in_progress": "审核中",
    "returned": "退回补正",
    "approved": "已批准待发放",
    "paid": "已发放",
    "enrolled": "已纳入扶助",
    "rejected": "不予批准",
    "withdrawn": "已撤回",
    "revoked": "已撤销",
    "ended": "已终止",
}


def _sex(id_number: str) -> str:
    # GB 11643: the 17th character is odd for men, even for women.
    return "男" if int(id_number[16]) % 2 else "女"


def _born(id_number: str) -> str:
    return f"{id_number[6:10]}.{id_number[10:12]}"


async def _township(session: AsyncSession, *, user: User, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None or region.level != TOWNSHIP or not user.covers(code):
        raise NotFound(
            f"no township {code} in your jurisdiction",
            code="township-not-found",
            params={"township": code},
        )
    return region


async def _sent_up(
    session: AsyncSession, *, township: str, program: str, year: int
) -> list[tuple[Application, datetime, str]]:
    """Cases of the program the township approved in the year: (case, approval, village)."""
    start, end = local_year_bounds(year)
    approved_at = func.max(Task.completed_at).label("approved_at")
    approvals = (
        select(Task.application_id, approved_at)
        .where(
            Task.role == TOWNSHIP_REVIEWER,
            Task.status == COMPLETED,
            Task.decision == "approve",
            col(Task.review_id).is_(None),  # the case's own chain, not a yearly review 年审
            col(Task.village_code).startswith(township),
            col(Task.completed_at) >= start,
            col(Task.completed_at) < end,
        )
        .group_by(col(Task.application_id))
        .subquery()
    )
    statement = (
        select(Application, approvals.c.approved_at, Region.name)
        .join(approvals, approvals.c.application_id == Application.id)
        .join(Region, col(Region.code) == Application.village_code)
        .where(Application.program_code == program)
        .order_by(approvals.c.approved_at, col(Application.id))
    )
    rows = (await session.exec(statement)).all()
    return [(case, _aware(when), village) for case, when, village in rows]


def _aware(value: Any) -> datetime:
    # A MAX() over the column comes back without the column type: naive on SQLite (UTC).
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


async def _amounts(
    session: AsyncSession, *, program: Program, case_ids: list[int], year: int
) -> dict[int, int]:
    """What each case is owed: its one-time payout (or the catalogue's amount before
    approval), or, for a yearly program, that year's payout."""
    period = ONCE if program.kind != "yearly" else str(year)
    rows = await session.exec(
        select(Payout.application_id, Payout.amount_fen).where(
            col(Payout.application_id).in_(case_ids),
            Payout.period == period,
            Payout.payee == PAYEE_HOUSEHOLD,  # the family's benefit, not the pension premium
            Payout.status != CANCELLED,
        )
    )
    owed = dict(rows.all())
    if program.kind != "yearly":
        return {case_id: owed.get(case_id, program.amount_fen) for case_id in case_ids}
    return owed


async def _county_set_amounts(
    session: AsyncSession, *, program: Program, cases: list[Application], into: dict[int, int]
) -> None:
    """A county-set program's case without a payout yet (``_amounts`` gave it the catalogue's
    0): the county's amount of its event year (payouts/county_amounts.py)."""
    if program.amount_by_county is None:
        return
    for case in cases:
        if case.id is not None and not into.get(case.id):
            computed = await county_amounts.owed(session, case=case, program=program)
            into[case.id] = computed[0] if computed else program.amount_fen


async def township_roster(
    session: AsyncSession, *, user: User, township: str, program: str, year: int
) -> tuple[bytes, str]:
    """The roster as an xlsx file, and its file name."""
    region = await _township(session, user=user, code=township)
    catalogue = await session.get(Program, program)
    if catalogue is None:
        raise InvalidInput(
            f"unknown program {program}",
            field="program",
            code="program-unknown",
            params={"program": program},
        )
    sent = await _sent_up(session, township=township, program=program, year=year)
    amounts = await _amounts(
        session, program=catalogue, case_ids=[case.id or 0 for case, _, _ in sent], year=year
    )
    await _county_set_amounts(
        session, program=catalogue, cases=[case for case, _, _ in sent], into=amounts
    )
    zone = ZoneInfo(get_settings().timezone)
    rows: list[list[Cell]] = []
    for number, (case, approved_at, village) in enumerate(sent, start=1):
        owed = amounts.get(case.id or 0)
        rows.append(
            [
                number,
                case.applicant_name,
                _sex(case.applicant_id_number),
                _born(case.applicant_id_number),
                mask_id_number(case.applicant_id_number) or "",
                village,
                catalogue.name_zh,
                EVENT_NAMES.get(case.event_kind, case.event_kind),
                case.event_date.isoformat(),
                amount_cny(owed) if owed is not None else "",
                approved_at.astimezone(zone).date().isoformat(),
                STATUS_NAMES.get(case.status, case.status),
            ]
        )
    total = sum(amounts.values())
    sheet = Sheet(
        name="花名册",
        title=f"{region.name}{year}年{catalogue.name_zh}对象花名册",
        header=HEADER,
        rows=rows,
        footer=[["合计", f"{len(rows)}人", *[""] * 7, amount_cny(total), "", ""]],
        widths=WIDTHS,
    )
    return sheet.xlsx_bytes(), f"roster-{township}-{program}-{year}.xlsx"
