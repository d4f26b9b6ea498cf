"""Merging regions: a village into a village, a township into a township, of one county.

A merge keeps the merged region (cases keep the code they were submitted under, in
``Application.submitted_village_code``) and moves what belongs to it in the current tree to its
successor in the same transaction: the current ``village_code`` of its cases, their tasks and
public notices, and the users who work there. Every jurisdiction check stays a code-prefix test
on those columns, so the successor's people see and act on the moved cases at once and the old
township's people no longer do. A township merged into another first gives each of its current
villages a new code under the successor and merges the village into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application, Review
from service.audit import service as audit_service
from service.auth.models import User
from service.clock import utcnow
from service.errors import Conflict, InvalidInput
from service.notices.models import PublicNotice
from service.places.changes import (
    REGION_ADDED,
    REGION_MERGED,
    USER_MOVED,
    facts,
    locked,
    record,
)
from service.regions import service as regions_service
from service.regions.models import COUNTY, TOWNSHIP, VILLAGE, Region
from service.tasks.models import Task

# A village that cannot keep its number under the township it moves to takes the first free
# one from here (villages are numbered from 201 in the demo data and in practice 2xx).
FIRST_SUFFIX = 201


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
    both = await locked(session, [source, into])
    old, new = both[source], both[into]
    _check_pair(old, new)  # again, on the locked rows: another merge may have won meanwhile
    done = Merged(old, new)
    if old.level == TOWNSHIP:
        await _move_villages(session, done, actor=actor, actor_name=actor_name)
    await _mark_merged(session, old, new)
    done.users += await _move_users(session, old.code, new.code, actor=actor, actor_name=actor_name)
    if old.level == VILLAGE:
        await _move_cases(session, done, old.code, new.code)
    record(
        session,
        REGION_MERGED,
        actor=actor,
        actor_name=actor_name,
        region=old.code,
        before=facts(old) | {"merged_into": None},
        after=_mergefacts(done),
    )
    await audit_service.commit(session)
    await session.refresh(old)
    return done


def _mergefacts(done: Merged) -> dict[str, Any]:
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
        record(
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
        record(
            session,
            REGION_ADDED,
            actor=actor,
            actor_name=actor_name,
            region=code,
            after=facts(successor),
            comment=f"township {old} was merged into {new}",
        )
        part = Merged(village, successor)
        await _mark_merged(session, village, successor)
        part.users = await _move_users(
            session, village.code, code, actor=actor, actor_name=actor_name
        )
        await _move_cases(session, part, village.code, code)
        record(
            session,
            REGION_MERGED,
            actor=actor,
            actor_name=actor_name,
            region=village.code,
            before=facts(village) | {"merged_into": None},
            after=_mergefacts(part),
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
