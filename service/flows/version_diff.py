"""Two stored versions of a flow compared (GET /flows/{key}/diff, page and API).

By default a version is compared with the one before it, and the latest version when none is
named. The comparison reads each version's XML (service/engine/structure.py), so it works for
every stored version, whatever its stored outline holds. Comparing a version with itself is
allowed and shows no change (not a refusal: a link may well name the same version twice); the
first version compared with nothing, likewise.
"""

from __future__ import annotations

from functools import lru_cache

import anyio
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.engine.structure import Structure, read_structure
from service.errors import NotFound
from service.flows import diff, diff_parts
from service.flows import service as flows_service
from service.flows.models import FlowVersion
from service.flows.schemas import FlowDiff


@lru_cache(maxsize=32)
def structure_of(xml: str) -> tuple[Structure, diff.Expressions]:
    """A stored version's structure and its scripts' and timers' expressions (its XML never
    changes: cached by the text)."""
    content = xml.encode("utf-8")
    return read_structure(content), diff_parts.expressions(content)


async def _live_number(session: AsyncSession, key: str, *, below: int | None = None) -> int | None:
    """The highest number of a version of ``key`` not deleted (below ``below``, if given)."""
    statement = select(FlowVersion.version).where(
        FlowVersion.key == key, col(FlowVersion.deleted_at).is_(None)
    )
    if below is not None:
        statement = statement.where(FlowVersion.version < below)
    statement = statement.order_by(col(FlowVersion.version).desc()).limit(1)
    return (await session.exec(statement)).first()


async def latest_number(session: AsyncSession, key: str) -> int:
    number = await _live_number(session, key)
    if number is None:
        raise NotFound(
            f"flow {key!r} has no versions",
            code="flow-version-number-not-found",
            params={"key": key, "number": 1},
        )
    return number


async def versions(
    session: AsyncSession, key: str, *, from_number: int | None, to_number: int | None
) -> tuple[FlowVersion, FlowVersion]:
    """The two versions compared: ``to`` (default: the latest) and ``from`` (default: the one
    before ``to``, or ``to`` itself for a first version); deleted versions are skipped by the
    defaults, and 404 when named, like a version not stored."""
    if to_number is None:
        to_number = await latest_number(session, key)
    if from_number is None:
        from_number = await _live_number(session, key, below=to_number) or to_number
    later = await flows_service.get_numbered(session, key, to_number)
    earlier = await flows_service.get_numbered(session, key, from_number)
    return earlier, later


async def version_diff(
    session: AsyncSession, key: str, *, from_number: int | None, to_number: int | None
) -> FlowDiff:
    """What changed from one version of ``key`` to another (service/flows/diff.py)."""
    earlier, later = await versions(session, key, from_number=from_number, to_number=to_number)
    return await compare_versions(earlier, later)


async def compare_versions(earlier: FlowVersion, later: FlowVersion) -> FlowDiff:
    before, expressions_before = await anyio.to_thread.run_sync(structure_of, earlier.bpmn_xml)
    after, expressions_after = await anyio.to_thread.run_sync(structure_of, later.bpmn_xml)
    found = diff.compare(
        before,
        after,
        from_version=earlier.version,
        to_version=later.version,
        expressions_before=expressions_before,
        expressions_after=expressions_after,
    )
    found.decision_tables = await anyio.to_thread.run_sync(
        diff_parts.table_changes, earlier.decisions, later.decisions
    )
    return found
