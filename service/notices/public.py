"""What the public sees of notices and recipients: the masked pages of the API's public
endpoints and of the console's public pages, built in one place so the two cannot drift."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service.masking import mask_id_number, mask_name
from service.money import amount_cny
from service.notices import service as notices_service
from service.notices.schemas import NoticePage, NoticeRead, RecipientPage, RecipientRead


async def notice_page(
    session: AsyncSession, *, county: str, township: str | None, after: int | None, limit: int
) -> NoticePage:
    """Cases on public notice in a county (or one township), masked, ``limit`` per page."""
    rows = await notices_service.live_notices(
        session, county=county, township=township, after=after, limit=limit + 1
    )
    names = await notices_service.program_names(session)
    items = [
        NoticeRead(
            id=notice.id or 0,
            program=notice.program_code,
            program_name=names.get(notice.program_code, notice.program_code),
            county=notice.county_code,
            township=notice.township_code,
            township_name=township_name,
            village=notice.village_code,
            village_name=village_name,
            name=notice.name_masked,
            id_number=notice.id_number_masked,
            amount_fen=notice.amount_fen,
            amount=amount_cny(notice.amount_fen) if notice.amount_fen is not None else None,
            opens_at=notice.opens_at,
            ends_at=notice.ends_at,
            state=notice.state,
        )
        for notice, township_name, village_name in rows[:limit]
    ]
    more = len(rows) > limit
    return NoticePage(items=items, next_cursor=items[-1].id if more else None)


async def recipient_page(
    session: AsyncSession,
    *,
    county: str,
    year: int,
    program: str | None,
    after: int | None,
    limit: int,
) -> RecipientPage:
    """Who received a benefit in a county and year (奖扶/特扶 公开), masked."""
    rows = await notices_service.recipients(
        session, county=county, year=year, program=program, after=after, limit=limit + 1
    )
    names = await notices_service.program_names(session)
    items = [
        RecipientRead(
            program=case.program_code,
            program_name=names.get(case.program_code, case.program_code),
            township_name=township_name,
            village=case.village_code,
            village_name=village_name,
            name=mask_name(case.applicant_name),
            id_number=mask_id_number(case.applicant_id_number) or "",
            period=payout.period,
            amount_fen=payout.amount_fen,
            amount=amount_cny(payout.amount_fen),
            paid_on=payout.paid_at.date() if payout.paid_at else None,
        )
        for payout, case, township_name, village_name in rows[:limit]
    ]
    more = len(rows) > limit
    return RecipientPage(items=items, next_cursor=rows[limit - 1][0].id if more else None)
