"""Changing the region tree: add, rename and merge regions, each audited in its county's chain.

A merge keeps the merged region (cases keep the code they were submitted under, in
``Application.submitted_village_code``) and moves what belongs to it in the current tree to its
successor in the same transaction: the current ``village_code`` of its cases, their tasks and
public notices, and the users who work there. Every jurisdiction check stays a code-prefix test
on those columns, so the successor's people see and act on the moved cases at once and the old
township's people no longer do. A township merged into another first gives each of its current
villages a new code under the successor and merges the village into it.

This module records audit events, which sit above the region tree in the layers of the import
contract (pyproject.toml names this one import as allowed): the tree's reads stay below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application, Review
from service.audit import service as audit_service
from service.auth.models import ADMIN, User
from service.clock import utcnow
from service.errors import Conflict, Forbidden, InvalidInput
from service.notices.models import PublicNotice
from service.regions import service as regions_service
from service.regions.models import COUNTY, TOWNSHIP, VILLAGE, Region
from service.tasks.models import Task
from service.text import checked

REGION_ADDED, REGION_RENAMED, REGION_MERGED = "region_added", "region_renamed", "region_merged"
USER_MOVED = "user_moved"
MAX_NAME = 100
# A village that cannot keep its number under the township it moves to takes the first free
# one from here (villages are numbered from 201 in the demo data and in practice 2xx).
FIRST_SUFFIX = 201


def _check_admin(actor: User | None) -> None:
    """Only administrators change the tree (the command line is the operator's)."""
    if actor is not None and ADMIN not in actor.roles:
        raise Forbidden(
            "requires one of the roles: admin", code="role-required", params={"roles": [ADMIN]}
        )


def _name(name: str) -> str:
    name = checked(name, field="name", lines=False).strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(
            f"a name is 1 to {MAX_NAME} characters",
            field="name",
            code="name-length",
            params={"max": MAX_NAME},
        )
    return name


def _record(
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


def _facts(region: Region) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "level": region.level}


async def _locked(session: AsyncSession, codes: list[str]) -> dict[str, Region]:
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
    _check_admin(actor)
    level = regions_service.check_code(code)
    name = _name(name)
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
        parent = (await _locked(session, [expected])).get(expected)
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
    _record(
        session, REGION_ADDED, actor=actor, actor_name=actor_name, region=code, after=_facts(region)
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
    _check_admin(actor)
    await regions_service.get_region(session, code, actor=actor)
    name = _name(name)
    region = (await _locked(session, [code]))[code]
    if region.name == name:
        return region
    before = _facts(region)
    region.name = name
    session.add(region)
    _record(
        session,
        REGION_RENAMED,
        actor=actor,
        actor_name=actor_name,
        region=code,
        before=before,
        after=_facts(region),
    )
    await audit_service.commit(session)
    return region


# --- merge --------------------------------------------------------------------------------


@dataclass
class Merged:
    """What a merge moved."""

    source: Region
    into: Region
    cases: int = 0
    tasks: int = 0
    notices: int = 0
    users: list[str] = field(default_factory=list)
    villages: dict[str, str] = field(default_factory=dict)  # old → new code (a township)


async def check_merge(
    session: AsyncSession, *, source: str, into: str, actor: User | None
) -> tuple[Region, Region]:
    """The two regions of a merge, if it may happen: both inside the actor's jurisdiction
    (404), of one level and one county, both current, not the same (422; 409 when the source
    is merged already). Read only: the console's preview asks this before a merge."""
    _check_admin(actor)
    old = await regions_service.get_region(session, source, actor=actor)
    new = await regions_service.get_region(session, into, actor=actor)
    _check_pair(old, new)
    return old, new


@dataclass
class Preview:
    """What a merge would move, for the administrator to confirm: cases and users, and for a
    township the codes its villages would get."""

    source: Region
    into: Region
    cases: int
    users: int
    villages: dict[str, tuple[str, str]] = field(default_factory=dict)  # old → (new, name)


async def preview(session: AsyncSession, *, source: str, into: str, actor: User | None) -> Preview:
    """The merge's checks, and what it would move now (read only)."""
    old, new = await check_merge(session, source=source, into=into, actor=actor)
    cases, users = await regions_service.counts(session, code=old.code)
    shown = Preview(old, new, cases, users)
    if old.level == TOWNSHIP:
        taken = await _codes_under(session, new.code)
        for village in await _current_villages(session, old.code):
            code = _free_code(new.code, village.code[9:], taken)
            taken.add(code)
            shown.villages[village.code] = (code, village.name)
    return shown


async def _codes_under(session: AsyncSession, township: str) -> set[str]:
    statement = select(Region.code).where(col(Region.code).startswith(township))
    return set((await session.exec(statement)).all())


async def _current_villages(
    session: AsyncSession, township: str, *, lock: bool = False
) -> list[Region]:
    statement = (
        select(Region)
        .where(Region.parent_code == township, col(Region.merged_into).is_(None))
        .order_by(col(Region.code))
    )
    if lock:
        statement = statement.with_for_update()
    return list((await session.exec(statement)).all())


def _check_pair(old: Region, new: Region) -> None:
    params = {"region": old.code, "into": new.code}
    if old.code == new.code:
        raise InvalidInput(
            "a region cannot be merged into itself",
            field="into",
            code="region-merge-self",
            params=params,
        )
    if old.merged_into is not None:
        raise Conflict(
            f"region {old.code} was merged into {old.merged_into} already",
            code="region-already-merged",
            params={"region": old.code, "merged_into": old.merged_into},
        )
    if old.level != new.level or old.level == COUNTY:
        raise InvalidInput(
            "counties do not merge"
            if old.level == COUNTY
            else f"a {old.level} merges into another {old.level} only",
            field="into",
            code="region-merge-level",
            params={**params, "level": old.level, "into_level": new.level},
        )
    if old.code[:6] != new.code[:6]:
        raise InvalidInput(
            "regions merge within one county only",
            field="into",
            code="region-merge-county",
            params=params,
        )
    if new.merged_into is not None:
        raise InvalidInput(
            f"region {new.code} was merged into {new.merged_into}; merge into that one",
            field="into",
            code="region-merged",
            params={"region": new.code, "merged_into": new.merged_into},
        )


async def merge_region(
    session: AsyncSession,
    *,
    source: str,
    into: str,
    actor: User | None,
    actor_name: str | None = None,
) -> Merged:
    """Merge ``source`` into ``into`` (villages or townships of one county), moving its cases,
    tasks, notices and users; irreversible. One transaction; a concurrent or repeated merge of
    the same source happens once (the other gets 409 ``region-already-merged``). Commits."""
    await check_merge(session, source=source, into=into, actor=actor)
    locked = await _locked(session, [source, into])
    old, new = locked[source], locked[into]
    _check_pair(old, new)  # again, on the locked rows: another merge may have won meanwhile
    done = Merged(old, new)
    if old.level == TOWNSHIP:
        await _move_villages(session, done, actor=actor, actor_name=actor_name)
    await _mark_merged(session, old, new)
    done.users += await _move_users(session, old.code, new.code, actor=actor, actor_name=actor_name)
    if old.level == VILLAGE:
        await _move_cases(session, done, old.code, new.code)
    _record(
        session,
        REGION_MERGED,
        actor=actor,
        actor_name=actor_name,
        region=old.code,
        before=_facts(old) | {"merged_into": None},
        after=_merge_facts(done),
    )
    await audit_service.commit(session)
    await session.refresh(old)
    return done


def _merge_facts(done: Merged) -> dict[str, Any]:
    after: dict[str, Any] = {
        "merged_into": done.into.code,
        "into_name": done.into.name,
        "cases": done.cases,
        "tasks": done.tasks,
        "notices": done.notices,
        "users": len(done.users),
    }
    if done.villages:
        after["villages"] = done.villages
    return after


async def _mark_merged(session: AsyncSession, old: Region, new: Region) -> None:
    """The conditional write that lets one merge of ``old`` win."""
    result = await session.exec(
        update(Region)
        .where(col(Region.code) == old.code, col(Region.merged_into).is_(None))
        .values(merged_into=new.code, merged_at=utcnow())
    )
    if result.rowcount != 1:
        raise Conflict(
            f"region {old.code} was merged meanwhile",
            code="region-already-merged",
            params={"region": old.code, "merged_into": None},
        )


async def _move_cases(session: AsyncSession, done: Merged, old: str, new: str) -> None:
    """Move the current village of the cases, tasks and notices of village ``old`` to
    ``new``. The versions of the cases and of their yearly reviews move on too: a completion
    of either that read it before the merge gets 409 instead of opening its next task under
    the old code."""
    await session.exec(
        update(Review)
        .where(
            col(Review.application_id).in_(
                select(Application.id).where(col(Application.village_code) == old)
            )
        )
        .values(version=Review.version + 1)
    )
    cases = await session.exec(
        update(Application)
        .where(col(Application.village_code) == old)
        .values(village_code=new, version=Application.version + 1)
    )
    tasks = await session.exec(
        update(Task).where(col(Task.village_code) == old).values(village_code=new)
    )
    notices = await session.exec(
        update(PublicNotice)
        .where(col(PublicNotice.village_code) == old)
        .values(village_code=new, township_code=new[:9])
    )
    done.cases += cases.rowcount
    done.tasks += tasks.rowcount
    done.notices += notices.rowcount


async def _move_users(
    session: AsyncSession, old: str, new: str, *, actor: User | None, actor_name: str | None
) -> list[str]:
    """Users who worked in ``old`` now work in ``new``, each audited."""
    statement = (
        select(User).where(User.jurisdiction == old).order_by(col(User.id)).with_for_update()
    )
    moved = []
    for user in (await session.exec(statement)).all():
        before = {"username": user.username, "roles": list(user.roles), "jurisdiction": old}
        user.jurisdiction = new
        session.add(user)
        _record(
            session,
            USER_MOVED,
            actor=actor,
            actor_name=actor_name,
            region=new,
            before=before,
            after=before | {"jurisdiction": new},
            comment=f"region {old} was merged into {new}",
        )
        moved.append(user.username)
    await session.flush()
    return moved


async def _move_villages(
    session: AsyncSession, done: Merged, *, actor: User | None, actor_name: str | None
) -> None:
    """Each current village of the township ``done.source`` gets a code under
    ``done.into`` (its own number when free there) and is merged into it."""
    old, new = done.source.code, done.into.code
    taken = await _codes_under(session, new)
    for village in await _current_villages(session, old, lock=True):
        code = _free_code(new, village.code[9:], taken)
        taken.add(code)
        successor = Region(code=code, name=village.name, level=VILLAGE, parent_code=new)
        session.add(successor)
        await session.flush()
        _record(
            session,
            REGION_ADDED,
            actor=actor,
            actor_name=actor_name,
            region=code,
            after=_facts(successor),
            comment=f"township {old} was merged into {new}",
        )
        part = Merged(village, successor)
        await _mark_merged(session, village, successor)
        part.users = await _move_users(
            session, village.code, code, actor=actor, actor_name=actor_name
        )
        await _move_cases(session, part, village.code, code)
        _record(
            session,
            REGION_MERGED,
            actor=actor,
            actor_name=actor_name,
            region=village.code,
            before=_facts(village) | {"merged_into": None},
            after=_merge_facts(part),
            comment=f"township {old} was merged into {new}",
        )
        done.villages[village.code] = code
        done.cases += part.cases
        done.tasks += part.tasks
        done.notices += part.notices
        done.users += part.users


def _free_code(township: str, suffix: str, taken: set[str]) -> str:
    if township + suffix not in taken:
        return township + suffix
    for number in range(FIRST_SUFFIX, 1000):
        if f"{township}{number:03d}" not in taken:
            return f"{township}{number:03d}"
    raise Conflict(
        f"township {township} has no free village number left",
        code="region-no-free-code",
        params={"township": township},
    )
