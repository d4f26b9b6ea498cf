"""Which program runs which flow key: its application flow, or its yearly review flow.

Activation changes a binding (``lifecycle.activate``); upload reads them to know which keys
are review flows, held to the review's rules (``review_keys``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.flows.models import FlowVersion
from service.programs.models import Program


@dataclass
class Binding:
    """A program's use of a flow key: its application flow, or its yearly review flow."""

    program: Program
    review: bool

    @property
    def active_id(self) -> int | None:
        if self.review:
            value = (self.program.yearly or {}).get("review_flow_version_id")
            return int(value) if value else None
        return self.program.active_flow_version_id

    def bind(self, version: FlowVersion) -> None:
        if self.review:
            self.program.yearly = {
                **(self.program.yearly or {}),
                "review_flow_version_id": version.id,
            }
        else:
            self.program.flow_key = version.key
            self.program.active_flow_version_id = version.id


async def bindings_of(session: AsyncSession, *, lock: bool = False) -> dict[str, list[Binding]]:
    statement = select(Program).order_by(col(Program.code))
    if lock:
        statement = statement.with_for_update()  # activations of one program queue up
    bindings: dict[str, list[Binding]] = defaultdict(list)
    for program in (await session.exec(statement)).all():
        bindings[program.flow_key].append(Binding(program, review=False))
        review_id = (program.yearly or {}).get("review_flow_version_id")
        if review_id:
            key_of = select(FlowVersion.key).where(FlowVersion.id == int(review_id))
            review_key = (await session.exec(key_of)).one()
            bindings[review_key].append(Binding(program, review=True))
    return bindings


async def review_keys(session: AsyncSession) -> set[str]:
    return {
        key for key, found in (await bindings_of(session)).items() if any(b.review for b in found)
    }
