"""The region tree and jurisdiction checks."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import InvalidInput
from service.regions.models import VILLAGE, Region


async def get_village(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None or region.level != VILLAGE:
        raise InvalidInput(f"unknown village code {code}", field="village")
    return region


async def list_regions(session: AsyncSession, *, under: str) -> list[Region]:
    statement = select(Region).where(Region.code.startswith(under)).order_by(Region.code)
    return list((await session.exec(statement)).all())
