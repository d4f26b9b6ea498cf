"""Correcting a case that waits on its caseworker (returned, or not yet signed by the village).

Only the fields given change. The household's identities, its eligibility and its priority
follow the new values, and the trail records every changed field before and after, masked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import claims, eligibility, progress
from service.applications import service as applications_service
from service.applications.models import Application, HouseholdClaim
from service.applications.schemas import ApplicationEdit
from service.audit import service as audit_service
from service.auth.models import CASEWORKER, User
from service.clock import local_today
from service.errors import Conflict, InvalidInput
from service.masking import mask_card, mask_id_number, mask_phone
from service.programs import amounts as program_amounts
from service.programs.models import Program
from service.regions import jurisdiction
from service.tasks.models import READY, Task

_MASKS = {
    "applicant_id_number": mask_id_number,
    "spouse_id_number": mask_id_number,
    "bank_card": mask_card,
    "phone": mask_phone,
}


def _new_values(case: Application, edit: ApplicationEdit) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if edit.applicant is not None:
        values["applicant_name"] = edit.applicant.name
        values["applicant_id_number"] = edit.applicant.id_number
    if edit.relation is not None:
        values["relation"] = edit.relation
    if "spouse" in edit.model_fields_set:
        values["spouse_name"] = edit.spouse.name if edit.spouse else None
        values["spouse_id_number"] = edit.spouse.id_number if edit.spouse else None
    if edit.household is not None:
        for name in ("bank_card", "phone", "certificate_holder", "two_daughters_sterilised"):
            value = getattr(edit.household, name)
            if value is not None:
                values[name] = value
    if edit.event is not None:
        values["event_kind"] = edit.event.kind
        values["event_date"] = edit.event.date
    return {name: value for name, value in values.items() if getattr(case, name) != value}


def _shown(name: str, value: Any) -> Any:
    mask = _MASKS.get(name)
    if mask is not None and value is not None:
        return mask(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _check(program: Program, case: Application) -> None:
    if case.event_kind not in program.event_kinds:
        raise InvalidInput(
            f"{program.code} covers events {', '.join(program.event_kinds)}",
            field="event.kind",
            code="event-kind-not-covered",
            params={"program": program.code, "event_kinds": list(program.event_kinds)},
        )
    if case.event_date > local_today():
        raise InvalidInput(
            "the event date is in the future", field="event.date", code="event-date-future"
        )
    if case.spouse_id_number and case.spouse_id_number == case.applicant_id_number:
        raise InvalidInput(
            "the spouse cannot be the applicant",
            field="spouse.id_number",
            code="spouse-is-applicant",
        )


async def correct(
    session: AsyncSession, *, user: User, application_id: int, edit: ApplicationEdit
) -> Application:
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    applications_service.require_caseworker(user, "corrects cases")
    if not await applications_service.waits_on_caseworker(session, application_id):
        raise Conflict(
            f"the case is {case.status} and not with the village caseworker; "
            "it can be corrected before the village signs or after it is returned",
            code="case-not-correctable",
            params={"application_id": case.id, "status": case.status},
        )
    changes = _new_values(case, edit)
    if not changes:
        return case
    program = await session.get(Program, case.program_code)
    assert program is not None
    before = {name: _shown(name, getattr(case, name)) for name in changes}
    # The version check first: a completion racing this correction makes one of them 409.
    await progress.save_case_status(session, case=case, status=case.status)
    for name, value in changes.items():
        setattr(case, name, value)
    _check(program, case)
    # A corrected event year of a county-set program needs that year's amount too.
    await program_amounts.require_set(
        session, program, county=case.county_code, year=case.event_date.year
    )
    outcome = eligibility.require(program, case, today=local_today())
    case.eligibility, case.priority = outcome.as_record(), outcome.priority
    session.add(case)
    await session.exec(
        update(Task)
        .where(col(Task.application_id) == case.id, col(Task.status) == READY)
        .values(priority=case.priority)
    )
    await _reclaim(session, user=user, case=case, program=program)
    audit_service.record(
        session,
        action="application_corrected",
        actor=user,
        role=CASEWORKER,
        region=case.village_code,
        application_id=case.id,
        before=before,
        after={name: _shown(name, value) for name, value in changes.items()},
    )
    await audit_service.commit(session)
    await session.refresh(case)
    return case


async def _reclaim(
    session: AsyncSession, *, user: User, case: Application, program: Program
) -> None:
    """The household's identities or its event may have changed: its claim rows follow them
    (and, where the program counts events, the corrected event meets the household's others
    as a new submission's would)."""
    assert case.id is not None
    problem = await claims.check_events(session, user=user, program=program, case=case)
    if problem is not None:
        raise problem
    program_code, keys = case.program_code, claims.claim_keys_of(case, program)
    try:
        await session.exec(
            delete(HouseholdClaim).where(col(HouseholdClaim.application_id) == case.id)
        )
        session.add_all(
            HouseholdClaim(program_code=program_code, claim_key=key, application_id=case.id)
            for key in keys
        )
        await session.flush()
    except IntegrityError:
        await audit_service.roll_back(session)
        raise await claims.duplicate_problem(
            session, user=user, program_code=program_code, claim_keys=keys
        ) from None
