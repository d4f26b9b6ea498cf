"""Flow versions: stored BPMN, one immutable row per version, parsed once per process."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.clock import utcnow
from service.engine import ParsedFlow, parse_flow, spec_cache
from service.errors import NotFound
from service.flows.models import FlowVersion


async def get_version(session: AsyncSession, version_id: int | None) -> FlowVersion:
    version = await session.get(FlowVersion, version_id) if version_id else None
    if version is None:
        raise NotFound(f"no flow version {version_id}")
    return version


async def parsed(session: AsyncSession, version_id: int) -> ParsedFlow:
    """The parsed spec of a flow version, from the cache when this process has seen it."""
    flow = spec_cache.cached(version_id)
    if flow is not None:
        return flow
    version = await get_version(session, version_id)
    return spec_cache.get(version_id, version.bpmn_xml)


async def ensure_version(
    session: AsyncSession, *, content: bytes, actor: str
) -> tuple[FlowVersion, bool]:
    """Store validated BPMN as the next version of its key, or return the identical one."""
    flow = parse_flow(content)
    existing = (
        await session.exec(
            select(FlowVersion).where(
                FlowVersion.key == flow.key, FlowVersion.sha256 == flow.sha256
            )
        )
    ).first()
    if existing is not None:
        return existing, False
    latest = (
        await session.exec(select(func.max(FlowVersion.version)).where(FlowVersion.key == flow.key))
    ).one()
    version = FlowVersion(
        key=flow.key,
        version=(latest or 0) + 1,
        bpmn_xml=content.decode("utf-8"),
        sha256=flow.sha256,
        uploaded_by=actor,
        uploaded_at=utcnow(),
    )
    session.add(version)
    await session.flush()
    return version, True
