"""The program catalogue: loaded from workflows/programs.json, read by everyone."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import User
from service.engine import decision_cache
from service.errors import InvalidInput, NotFound
from service.flows import lifecycle
from service.flows import service as flows_service
from service.money import amount_cny
from service.payouts.models import PAYEE_HOUSEHOLD, PAYEE_PENSION_FUND, PAYEES, PayeeAccount
from service.programs.models import BenefitStandard, Program
from service.programs.schemas import ProgramRead

WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / "workflows"
CATALOGUE = WORKFLOWS_DIR / "programs.yaml"


class CatalogueError(ValueError):
    """programs.yaml contradicts itself (e.g. names an account its ``payees:`` lacks)."""


async def get_active(session: AsyncSession, code: str) -> Program:
    program = await session.get(Program, code)
    if program is None or not program.active or program.active_flow_version_id is None:
        raise InvalidInput(
            f"unknown or inactive program {code!r}",
            field="program",
            code="program-unknown",
            params={"program": code},
        )
    return program


async def open_programs(session: AsyncSession) -> list[Program]:
    """The programs that take new cases: active, with an active flow (what ``get_active``
    accepts), by code."""
    statement = (
        select(Program)
        .where(Program.active, col(Program.active_flow_version_id).is_not(None))
        .order_by(col(Program.code))
    )
    return list((await session.exec(statement)).all())


async def read(session: AsyncSession, program: Program) -> ProgramRead:
    flow = (
        await flows_service.get_version(session, program.active_flow_version_id)
        if program.active_flow_version_id
        else None
    )
    standards: dict[int, dict[str, int]] = {}
    for standard in await standards_of(session, program.code):
        standards.setdefault(standard.year, {})[standard.kind] = standard.amount_fen
    return ProgramRead(
        **program.model_dump(),
        standards=standards,
        eligibility=program.eligibility_dmn,
        amount_cny=amount_cny(program.amount_fen),
        active_flow=f"{flow.key}@v{flow.version}" if flow else None,
    )


async def standards_of(session: AsyncSession, code: str) -> list[BenefitStandard]:
    statement = (
        select(BenefitStandard)
        .where(BenefitStandard.program_code == code)
        .order_by(col(BenefitStandard.year), col(BenefitStandard.kind))
    )
    return list((await session.exec(statement)).all())


async def list_programs(session: AsyncSession, *, user: User) -> list[ProgramRead]:
    programs = (await session.exec(select(Program).order_by(Program.code))).all()
    return [await read(session, program) for program in programs]


async def get_program(session: AsyncSession, *, code: str, user: User) -> ProgramRead:
    program = await session.get(Program, code)
    if program is None:
        raise NotFound(f"no program {code!r}", code="program-not-found", params={"program": code})
    return await read(session, program)


def required_documents(
    program: Program, *, has_spouse: bool, event_kind: str, claims: Iterable[str] = ()
) -> list[str]:
    """The document kinds a case must hold before the village approves (the catalogue's rule):
    ``claims`` are what the household claims to be (``certificate_holder``, …), each proved by
    the kinds of ``documents.by_claim``."""
    rules = program.documents
    by_claim = rules.get("by_claim", {})
    kinds = [
        *rules.get("common", []),
        *(rules.get("with_spouse", []) if has_spouse else []),
        *rules.get("by_event", {}).get(event_kind, []),
        *(kind for claim in claims for kind in by_claim.get(claim, [])),
    ]
    return list(dict.fromkeys(kinds))  # in order, once each


def _once_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """What "once" counts (``once_per``), the interval between a household's events, and
    whether the caseworker confirms the family-planning family: a catalogue that says
    anything else is refused at load."""
    once_per = str(entry.get("once_per", "household"))
    months = entry.get("min_interval_months")
    if once_per not in ("household", "household_event"):
        raise ValueError(f"{entry['code']}: once_per is household or household_event")
    if months is not None and (once_per != "household_event" or int(months) < 0):
        raise ValueError(
            f"{entry['code']}: min_interval_months (0 or more) goes with once_per: household_event"
        )
    return {
        "once_per": once_per,
        "min_interval_months": int(months) if months is not None else None,
        "confirms_family_planning": bool(entry.get("confirms_family_planning", False)),
    }


def _program_fields(entry: dict[str, Any]) -> dict[str, Any]:
    eligibility = entry.get("eligibility")
    dmn = (WORKFLOWS_DIR / eligibility).read_text(encoding="utf-8") if eligibility else None
    if dmn is not None:
        decision_cache.get(dmn)  # refuse a catalogue whose decision does not parse
    return {
        "code": entry["code"],
        "name_zh": entry["name_zh"],
        "name_en": entry["name_en"],
        "kind": entry.get("kind", "one_time"),
        # null: the county sets it per year (amount_by_county; service/programs/amounts.py)
        "amount_fen": int(entry.get("amount_fen") or 0),
        "amount_by_county": dict(entry["amount_by_county"])
        if entry.get("amount_by_county")
        else None,
        "event_kinds": list(entry["event_kinds"]),
        "documents": dict(entry["documents"]),
        "eligibility_dmn": dmn,
        "time_limits": {str(k): int(v) for k, v in (entry.get("time_limits") or {}).items()}
        or None,
        "active": bool(entry.get("active", True)),
        **_once_fields(entry),
    }


async def _sync_payees(session: AsyncSession, catalogue: dict[str, Any]) -> dict[str, str]:
    """The accounts of ``payees:`` (key → kind), stored so payouts and bank files name them."""
    kinds: dict[str, str] = {}
    for key, entry in (catalogue.get("payees") or {}).items():
        kind = str(entry["kind"])
        if kind not in PAYEES or kind == PAYEE_HOUSEHOLD:
            raise CatalogueError(f"payees.{key}: kind {kind!r} is not an account's payee kind")
        fields = {
            "name_zh": str(entry["name_zh"]),
            "kind": kind,
            "bank": str(entry["bank"]),
            "account": str(entry["account"]),
        }
        account = await session.get(PayeeAccount, key)
        if account is None:
            account = PayeeAccount(key=str(key), **fields)
        else:
            for name, value in fields.items():
                setattr(account, name, value)
        session.add(account)
        kinds[str(key)] = kind
    return kinds


def payee_account(payees: dict[str, str], key: Any, *, kind: str, where: str) -> str:
    """The key of an account of ``payees:`` of the right kind, or a catalogue error."""
    if not key or payees.get(str(key)) != kind:
        raise CatalogueError(
            f"{where}: {key!r} is not a {kind} account of the catalogue's payees: "
            f"{sorted(k for k, v in payees.items() if v == kind)}"
        )
    return str(key)


async def _sync_yearly(
    session: AsyncSession,
    entry: dict[str, Any],
    *,
    actor: str,
    current: Program | None,
    payees: dict[str, str],
) -> dict[str, Any] | None:
    """The yearly rule, with the review flow stored as a flow version of its own.

    A review flow version an administrator activated stays active until the catalogue ships
    a changed review flow (a release), as for a program's own flow."""
    yearly = entry.get("yearly")
    if not yearly:
        return None
    rule: dict[str, Any] = {
        "multiplier": int(yearly["multiplier"]),
        "premium_fen_per_person": int(yearly["premium_fen_per_person"]),
    }
    if rule["premium_fen_per_person"]:
        # The premium goes to the pension fund's account (代缴), never to the household.
        rule["pension_fund"] = payee_account(
            payees,
            yearly.get("pension_fund"),
            kind=PAYEE_PENSION_FUND,
            where=f"{entry['code']}.yearly.pension_fund",
        )
    review = yearly.get("review_flow")
    if review:
        content = (WORKFLOWS_DIR / review).read_bytes()
        version, created = await flows_service.ensure_version(
            session, content=content, actor=actor, review=True
        )
        active = ((current.yearly if current else None) or {}).get("review_flow_version_id")
        rule["review_flow_version_id"] = version.id if created or not active else active
        if rule["review_flow_version_id"] == version.id:
            lifecycle.mark_activated(session, version)
    return rule


async def _sync_standards(session: AsyncSession, entry: dict[str, Any]) -> bool:
    """Base standards per year and kind; a changed amount is updated, a new one added."""
    changed = False
    for year, kinds in (entry.get("standards") or {}).items():
        for kind, amount in kinds.items():
            key = (entry["code"], int(year), str(kind))
            standard = await session.get(BenefitStandard, key)
            if standard is None:
                session.add(
                    BenefitStandard(
                        program_code=key[0], year=key[1], kind=key[2], amount_fen=int(amount)
                    )
                )
                changed = True
            elif standard.amount_fen != int(amount):
                standard.amount_fen = int(amount)
                session.add(standard)
                changed = True
    return changed


async def sync_catalogue(session: AsyncSession, *, actor: str = "system") -> list[str]:
    """Load programs.yaml and the flows and decisions it names; a second run changes nothing."""
    catalogue: dict[str, Any] = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = catalogue["programs"]
    payees = await _sync_payees(session, catalogue)
    changed = []
    for entry in entries:
        fields = _program_fields(entry)
        program = await session.get(Program, fields["code"])
        fields["yearly"] = await _sync_yearly(
            session, entry, actor=actor, current=program, payees=payees
        )
        content = (WORKFLOWS_DIR / entry["flow"]).read_bytes()
        version, created = await flows_service.ensure_version(session, content=content, actor=actor)
        if program is None:
            program = Program(**fields, flow_key=version.key, active_flow_version_id=version.id)
            lifecycle.mark_activated(session, version)
            changed.append(fields["code"])
        else:
            differs = any(getattr(program, name) != value for name, value in fields.items())
            if created or differs or program.active_flow_version_id is None:
                changed.append(fields["code"])
            if created or program.active_flow_version_id is None:
                program.active_flow_version_id = version.id
                lifecycle.mark_activated(session, version)
            for name, value in fields.items():
                setattr(program, name, value)
        session.add(program)
        await session.flush()
        if await _sync_standards(session, entry) and fields["code"] not in changed:
            changed.append(fields["code"])
    await session.flush()
    return changed
