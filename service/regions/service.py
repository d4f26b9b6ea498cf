"""The region tree and jurisdiction checks."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import InvalidInput
from service.regions.models import VILLAGE, Region


async def get_village(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None or region.level != VILLAGE:
        raise InvalidInput(
            f"unknown village code {code}",
            field="village",
            code="village-unknown",
            params={"village": code},
        )
    return region


async def villages_within(session: AsyncSession, jurisdiction: str) -> list[Region]:
    """The villages a user of ``jurisdiction`` may submit for, by code."""
    statement = (
        select(Region)
        .where(Region.level == VILLAGE, col(Region.code).startswith(jurisdiction))
        .order_by(col(Region.code))
    )
    return list((await session.exec(statement)).all())
