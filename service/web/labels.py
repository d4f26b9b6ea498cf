"""Names the pages show for codes kept in the database: programs and regions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.programs.models import Program
from service.regions.models import Region


@dataclass(frozen=True)
class Labels:
    programs: dict[str, str]
    regions: dict[str, str]

    def program(self, code: str | None) -> str:
        return self.programs.get(code or "", code or "")

    def region(self, code: str | None) -> str:
        return self.regions.get(code or "", code or "")


async def load(session: AsyncSession, language: str) -> Labels:
    """Program names in the page's language and every region's name (a county has a few
    hundred villages: one small read per page)."""
    programs = (await session.exec(select(Program))).all()
    regions = (await session.exec(select(Region.code, Region.name))).all()
    return Labels(
        programs={p.code: p.name_en if language == "en" else p.name_zh for p in programs},
        regions=dict(regions),
    )
