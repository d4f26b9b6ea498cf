"""The program catalogue: loaded from workflows/programs.json, read by everyone."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import User
from service.errors import InvalidInput, NotFound
from service.flows import service as flows_service
from service.programs.models import Program
from service.programs.schemas import ProgramRead

WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / "workflows"
CATALOGUE = WORKFLOWS_DIR / "programs.json"


def amount_cny(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


async def get_active(session: AsyncSession, code: str) -> Program:
    program = await session.get(Program, code)
    if program is None or not program.active or program.active_flow_version_id is None:
        raise InvalidInput(f"unknown or inactive program {code!r}", field="program")
    return program


async def read(session: AsyncSession, program: Program) -> ProgramRead:
    flow = (
        await flows_service.get_version(session, program.active_flow_version_id)
        if program.active_flow_version_id
        else None
    )
    return ProgramRead(
        **program.model_dump(),
        amount_cny=amount_cny(program.amount_fen),
        active_flow=f"{flow.key}@v{flow.version}" if flow else None,
    )


async def list_programs(session: AsyncSession, *, user: User) -> list[ProgramRead]:
    programs = (await session.exec(select(Program).order_by(Program.code))).all()
    return [await read(session, program) for program in programs]


async def get_program(session: AsyncSession, *, code: str, user: User) -> ProgramRead:
    program = await session.get(Program, code)
    if program is None:
        raise NotFound(f"no program {code!r}")
    return await read(session, program)


def required_documents(program: Program, *, has_spouse: bool) -> list[str]:
    return [*program.required_documents, *(program.spouse_documents if has_spouse else [])]


async def sync_catalogue(session: AsyncSession, *, actor: str = "system") -> list[str]:
    """Load programs.json and the flows it names; idempotent (same file → no change)."""
    entries: list[dict[str, Any]] = json.loads(CATALOGUE.read_text(encoding="utf-8"))["programs"]
    changed = []
    for entry in entries:
        entry = dict(entry)
        flow_file = entry.pop("flow_file")
        content = (WORKFLOWS_DIR / flow_file).read_bytes()
        version, created = await flows_service.ensure_version(session, content=content, actor=actor)
        program = await session.get(Program, entry["code"])
        if program is None:
            program = Program(**entry, flow_key=version.key, active_flow_version_id=version.id)
            changed.append(entry["code"])
        elif created or program.active_flow_version_id is None:
            program.active_flow_version_id = version.id
            changed.append(entry["code"])
        for name, value in entry.items():
            setattr(program, name, value)
        session.add(program)
    await session.flush()
    return changed
