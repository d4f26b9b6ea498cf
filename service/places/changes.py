"""Changing the region tree: adding and renaming regions (merging them: ``merges``), each
audited in its county's chain, and what both share: the audit record, a region's facts and
the lock on the regions a change decides on. Who may change the tree is the route's and the
page's gate (administrators; the command line is the operator's).

The tree itself, its reads and the jurisdiction filter are ``service.regions``, below the trail
in the layers of the import contract; changing it is audited, so it lives here, above.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service import text
from service.audit import service as audit_service
from service.auth.models import ADMIN, User
from service.errors import Conflict, Forbidden, InvalidInput
from service.regions import service as regions_service
from service.regions.models import COUNTY, Region

REGION_ADDED, REGION_RENAMED, REGION_MERGED = "region_added", "region_renamed", "region_merged"
USER_MOVED = "user_moved"


def record(
    session: AsyncSession,
    action: str,
    *,
    actor: User | None,
    actor_name: str | None,
    region: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str | None = None,
) -> None:
    audit_service.record(
        session,
        action=action,
        actor=actor,
        actor_name=actor_name,
        role=ADMIN if actor is not None else None,
        region=region,
        before=before,
        after=after,
        comment=comment,
    )


def facts(region: Region) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "level": region.level}


async def locked(session: AsyncSession, codes: list[str]) -> dict[str, Region]:
    """The regions of ``codes``, read again and locked in code order (PostgreSQL; SQLite's
    writers hold the database lock already): concurrent changes of the same regions queue
    instead of deciding on what another is changing."""
    statement = (
        select(Region)
        .where(col(Region.code).in_(codes))
        .order_by(col(Region.code))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {region.code: region for region in (await session.exec(statement)).all()}


# --- add and rename -----------------------------------------------------------------------


async def add_region(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    parent_code: str | None = None,
    actor: User | None,
    actor_name: str | None = None,
) -> Region:
    """Add a township (9 digits, under a county) or a village (12, under a township) to the
    current tree; a county (6) only from the command line. Commits."""
    level = regions_service.check_code(code)
    name = text.name(name)
    if level == COUNTY:
        if actor is not None:
            raise Forbidden(
                "a county is added on the server: relief regions add",
                code="region-county-cli-only",
                params={"region": code},
            )
        parent = None
    else:
        expected = code[:-3]
        if parent_code is not None and parent_code != expected:
            raise InvalidInput(
                f"the code of a {level} starts with its parent's code; {code}'s parent is "
                f"{expected}",
                field="parent",
                code="region-parent-mismatch",
                params={"region": code, "parent": parent_code},
            )
        parent = (await locked(session, [expected])).get(expected)
        if parent is None or not expected.startswith(regions_service.within(actor)):
            raise regions_service.not_found(expected)
        if parent.merged_into is not None:
            raise InvalidInput(
                f"region {expected} was merged into {parent.merged_into}",
                field="parent",
                code="region-merged",
                params={"region": expected, "merged_into": parent.merged_into},
            )
        if parent.level != regions_service.PARENT_LEVEL[level]:  # a tree seeded wrongly
            raise InvalidInput(
                f"{expected} is a {parent.level}, not a {regions_service.PARENT_LEVEL[level]}",
                field="parent",
                code="region-parent-mismatch",
                params={"region": code, "parent": expected},
            )
    if await session.get(Region, code) is not None:
        raise Conflict(f"region {code} exists", code="region-exists", params={"region": code})
    region = Region(code=code, name=name, level=level, parent_code=parent.code if parent else None)
    session.add(region)
    record(
        session, REGION_ADDED, actor=actor, actor_name=actor_name, region=code, after=facts(region)
    )
    await audit_service.commit(session)
    return region


async def rename_region(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    actor: User | None,
    actor_name: str | None = None,
) -> Region:
    """Give a region a new name (its code stays). Renaming to the same name changes nothing
    and records nothing. Commits."""
    await regions_service.get_region(session, code, actor=actor)
    name = text.name(name)
    region = (await locked(session, [code]))[code]
    if region.name == name:
        return region
    before = facts(region)
    region.name = name
    session.add(region)
    record(
        session,
        REGION_RENAMED,
        actor=actor,
        actor_name=actor_name,
        region=code,
        before=before,
        after=facts(region),
    )
    await audit_service.commit(session)
    return region
