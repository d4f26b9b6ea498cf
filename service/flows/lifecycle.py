"""A flow version's life after upload: activated (bound to its program), superseded, or,
never having been activated, deleted.

Activation binds a version to the program that uses its key; a case keeps the version it
started on, so activating changes only the cases submitted afterwards. A version never
activated may be deleted: its row stays as a tombstone, so its number is never given again and
the trail's sha256 still names stored content. A version once activated can only be
superseded. Both decide under the programs' lock, on the version's row read again.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications.models import Application, Review
from service.audit import service as audit_service
from service.auth.models import User
from service.clock import utcnow
from service.engine import InvalidFlow
from service.errors import Conflict, NotFound
from service.flows import rules
from service.flows import service as flows_service
from service.flows.bindings import Binding, bindings_of
from service.flows.models import FlowVersion
from service.flows.schemas import ActivationRead
from service.programs.models import ProgramAmount


async def activate(
    session: AsyncSession,
    *,
    key: str,
    number: int,
    program_code: str | None,
    user: User | None,
    actor_name: str | None = None,
) -> ActivationRead:
    """Bind a version to its program: new cases use it, running cases keep theirs."""
    version = await flows_service.get_numbered(session, key, number)
    binding = await _binding_for(session, key, program_code)
    # Read again under the programs' lock, which a deletion holds too: a version deleted
    # meanwhile is not bound.
    await _locked_again(session, version)
    assert version.id is not None
    flow = await flows_service.parsed(session, version.id)
    found = rules.binding_problems(flow, kind=binding.program.kind, review=binding.review)
    if found:
        raise InvalidFlow.of(found)
    previous_id = binding.active_id
    if previous_id != version.id:
        await _require_amounts(session, binding)
    previous = await session.get(FlowVersion, previous_id) if previous_id else None
    result = ActivationRead(
        key=key,
        version=number,
        program=binding.program.code,
        previous_version=previous.version if previous and previous.key == key else None,
        changed=previous_id != version.id,
    )
    if result.changed:
        binding.bind(version)
        session.add(binding.program)
        for used in (version, previous):
            if used is not None:
                mark_activated(session, used)
        flows_service.record_act(
            session,
            "flow_activated",
            user=user,
            actor_name=actor_name,
            before={"flow": f"{previous.key}@v{previous.version}" if previous else None},
            after={
                "flow": f"{key}@v{number}",
                "program": binding.program.code,
                "binding": "yearly review" if binding.review else "application",
            },
        )
    await audit_service.commit(session)
    return result


async def _require_amounts(session: AsyncSession, binding: Binding) -> None:
    """A program whose amount the county sets (seed 003's rewards, amounts left blank) is
    not bound to a new flow while no county has set an amount: it could take no case."""
    program = binding.program
    if binding.review or program.amount_by_county is None:
        return
    statement = select(ProgramAmount.year).where(ProgramAmount.program_code == program.code)
    if (await session.exec(statement.limit(1))).first() is None:
        raise Conflict(
            f"{program.code} has no amount set in any county: an administrator sets one before"
            " a flow is activated for it",
            code="program-amount-none",
            params={"program": program.code},
        )


def mark_activated(session: AsyncSession, version: FlowVersion) -> None:
    """A program uses ``version`` (an activation, or the catalogue's binding): from now on it
    can only be superseded."""
    if version.activated_at is None:
        version.activated_at = utcnow()
        session.add(version)


async def _locked_again(session: AsyncSession, version: FlowVersion) -> None:
    """The version's row as committed now, locked; a version deleted meanwhile is not found."""
    await session.refresh(version, with_for_update=True)
    if version.deleted_at is not None:
        await flows_service.get_numbered(session, version.key, version.version)  # raises: deleted


async def _ever_used(session: AsyncSession, version: FlowVersion) -> bool:
    """Whether a program ever used the version: activated (or bound before activations were
    dated, and still bound), or a case or yearly review runs on it. Decided under the
    programs' lock that activation takes, on the version's row as committed."""
    bindings = (await bindings_of(session, lock=True)).get(version.key, [])
    await _locked_again(session, version)
    if version.activated_at is not None:
        return True
    if any(binding.active_id == version.id for binding in bindings):
        return True
    for model in (Application, Review):
        runs = select(model.id).where(model.flow_version_id == version.id).limit(1)
        if (await session.exec(runs)).first() is not None:
            return True
    return False


async def delete_version(
    session: AsyncSession,
    *,
    key: str,
    number: int,
    user: User | None,
    actor_name: str | None = None,
) -> None:
    """Delete a version no program ever used; an activated one can only be superseded.

    The row stays as a tombstone (who deleted it and when; its content kept for auditors),
    so the number is never given again; the trail records its sha256 and who uploaded it."""
    version = await flows_service.get_numbered(session, key, number)
    if await _ever_used(session, version):
        raise Conflict(
            f"version {number} of flow {key!r} has been activated; it can only be superseded"
            " by activating another version",
            code="flow-version-activated",
            params={"key": key, "number": number},
        )
    version.deleted_at = utcnow()
    version.deleted_by = user.username if user else actor_name or "system"
    session.add(version)
    flows_service.record_act(
        session,
        "flow_version_deleted",
        user=user,
        actor_name=actor_name,
        # "flow" is what the trail's page shows of it (key@vN → —), as of an activation.
        before={
            "flow": f"{key}@v{number}",
            "key": key,
            "version": number,
            "sha256": version.sha256,
            "uploaded_by": version.uploaded_by,
            "uploaded_at": version.uploaded_at.isoformat(),
            "note": version.note,
        },
        after={"flow": None, "deleted_by": version.deleted_by},
    )
    await audit_service.commit(session)


async def _binding_for(session: AsyncSession, key: str, program_code: str | None) -> Binding:
    bindings = await bindings_of(session, lock=True)
    found = bindings.get(key, [])
    if program_code is None:
        if len(found) != 1:
            raise Conflict(
                f"flow {key!r} is bound to no program yet; name the program to bind it to"
                if not found
                else f"flow {key!r} is used by several programs; name the one to bind",
                code="flow-not-bound" if not found else "flow-bound-to-several",
                params={"key": key},
            )
        return found[0]
    for binding in found:
        if binding.program.code == program_code:
            return binding
    program = next(
        (b.program for all_ in bindings.values() for b in all_ if b.program.code == program_code),
        None,
    )
    if program is None:
        raise NotFound(
            f"no program {program_code!r}",
            code="program-not-found",
            params={"program": program_code},
        )
    if any(binding.review for binding in found):
        raise Conflict(
            f"flow {key!r} is a yearly review flow; it cannot run applications",
            code="flow-is-review",
            params={"key": key},
        )
    return Binding(program, review=False)
