"""The region tree: reads, and the checks every use of a region code goes through.

A region merged into another stays in the table (cases keep the code they were submitted
under), but it is no longer part of the current tree: nothing new is submitted to it, nobody
is created there, and the current tree leaves it out. The audited changes (add, rename,
merge) are in ``service/places``, above the trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application
from service.auth.models import User
from service.errors import InvalidInput, NotFound
from service.regions.models import COUNTY, TOWNSHIP, VILLAGE, Region

# The level of a code by its length (county 6 ⊂ township 9 ⊂ village 12), and the level above.
LEVELS = {6: COUNTY, 9: TOWNSHIP, 12: VILLAGE}
PARENT_LEVEL = {TOWNSHIP: COUNTY, VILLAGE: TOWNSHIP}
CODE = re.compile(r"\d{6}|\d{9}|\d{12}")


async def get_village(session: AsyncSession, code: str) -> Region:
    """The current village of ``code``, for a new submission: 422 when unknown or merged."""
    region = await session.get(Region, code)
    if region is None or region.level != VILLAGE:
        raise InvalidInput(
            f"unknown village code {code}",
            field="village",
            code="village-unknown",
            params={"village": code},
        )
    if region.merged_into is not None:
        raise InvalidInput(
            f"village {code} was merged into {region.merged_into}; submit there",
            field="village",
            code="village-merged",
            params={"village": code, "merged_into": region.merged_into},
        )
    return region


async def villages_within(session: AsyncSession, jurisdiction: str) -> list[Region]:
    """The current villages a user of ``jurisdiction`` may submit for, by code."""
    statement = (
        select(Region)
        .where(
            Region.level == VILLAGE,
            col(Region.code).startswith(jurisdiction),
            col(Region.merged_into).is_(None),
        )
        .order_by(col(Region.code))
    )
    return list((await session.exec(statement)).all())


async def get_current(session: AsyncSession, code: str, *, field: str = "region") -> Region:
    """The region of ``code`` in the current tree (where a user may be created or moved to):
    422 ``region-unknown`` or ``region-merged`` (naming the successor) otherwise."""
    region = await session.get(Region, code)
    if region is None:
        raise InvalidInput(
            f"unknown region code {code!r}",
            field=field,
            code="region-unknown",
            params={"region": code},
        )
    if region.merged_into is not None:
        raise InvalidInput(
            f"region {code} was merged into {region.merged_into}",
            field=field,
            code="region-merged",
            params={"region": code, "merged_into": region.merged_into},
        )
    return region


def check_code(code: str, *, field: str = "code") -> str:
    """The level of a region code (6, 9 or 12 digits); 422 for anything else."""
    if not CODE.fullmatch(code):
        raise InvalidInput(
            "a region code is 6 (county), 9 (township) or 12 (village) digits",
            field=field,
            code="region-code-invalid",
            params={"region": code},
        )
    return LEVELS[len(code)]


def not_found(code: str) -> NotFound:
    return NotFound(f"no region {code}", code="region-not-found", params={"region": code})


def within(actor: User | None) -> str:
    """The code prefix of what ``actor`` administers: the whole tree for the command line."""
    return actor.jurisdiction if actor is not None else ""


async def get_region(session: AsyncSession, code: str, *, actor: User | None) -> Region:
    """A region inside the actor's jurisdiction (merged or not); 404 otherwise, as for a code
    that does not exist: another county's tree is not theirs to see."""
    region = await session.get(Region, code) if CODE.fullmatch(code) else None
    if region is None or not code.startswith(within(actor)):
        raise not_found(code)
    return region


# --- the tree and its history ----------------------------------------------------------------


@dataclass
class Node:
    """A region with the codes merged into it and, in a tree, its children."""

    region: Region
    merged_from: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    successor_name: str | None = None  # of ``merged_into``, for the history


async def _rows(session: AsyncSession, prefix: str) -> list[Region]:
    statement = select(Region).where(col(Region.code).startswith(prefix)).order_by(col(Region.code))
    return list((await session.exec(statement)).all())


async def tree(
    session: AsyncSession, *, prefix: str, include_merged: bool = False, root: str | None = None
) -> list[Node]:
    """The regions under ``prefix`` as a forest: each region with its children by code, and
    the codes merged into it. Merged regions only with ``include_merged`` (under the parent
    they had). ``root``: only that region's subtree."""
    rows = await _rows(session, prefix)
    by_code = {region.code: region for region in rows}
    nodes = {
        region.code: Node(region)
        for region in rows
        if region.code.startswith(root or prefix)
        and (include_merged or region.merged_into is None or region.code == root)
    }
    for region in rows:
        if region.merged_into is None:
            continue
        if region.merged_into in nodes:
            nodes[region.merged_into].merged_from.append(region.code)
        if region.code in nodes:
            successor = by_code.get(region.merged_into)
            nodes[region.code].successor_name = successor.name if successor else None
    roots = []
    for code, node in nodes.items():
        parent = node.region.parent_code
        if parent is not None and parent in nodes and code != root:
            nodes[parent].children.append(node)
        else:
            roots.append(node)
    return roots


async def history(session: AsyncSession, *, prefix: str) -> list[Node]:
    """Every merged region under ``prefix``, latest merge first, with its successor's name."""
    rows = await _rows(session, prefix)
    names = {region.code: region.name for region in rows}
    merged = [region for region in rows if region.merged_into is not None]
    merged.sort(key=lambda region: (region.merged_at or datetime.min, region.code), reverse=True)
    return [Node(region, successor_name=names.get(region.merged_into or "")) for region in merged]


async def counts(session: AsyncSession, *, code: str) -> tuple[int, int]:
    """Cases whose current village lies in ``code``, and users whose jurisdiction does."""
    cases = await session.exec(
        select(func.count())
        .select_from(Application)
        .where(col(Application.village_code).startswith(code))
    )
    users = await session.exec(
        select(func.count()).select_from(User).where(col(User.jurisdiction).startswith(code))
    )
    return int(cases.one()), int(users.one())
