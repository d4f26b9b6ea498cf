"""Cases: submit, read (jurisdiction-scoped), attach documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import claims, eligibility, progress, storage
from service.applications.models import (
    IN_PROGRESS,
    RETURNED,
    WITHDRAWN,
    Application,
    Document,
    HouseholdClaim,
)
from service.applications.schemas import ApplicationCreate
from service.audit import service as audit_service
from service.auth.models import CASEWORKER, User, acting_roles
from service.clock import local_today, utcnow
from service.config import get_settings
from service.counters import SUBMISSIONS
from service.engine import Instance
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.flows import service as flows_service
from service.notifications import service as notifications_service
from service.programs import amounts as program_amounts
from service.programs import service as programs_service
from service.programs.models import Program
from service.regions import jurisdiction
from service.regions import service as regions_service
from service.tasks.models import READY, Task
from service.text import checked


def require_caseworker(user: User, action: str) -> None:
    """Submitting, correcting and withdrawing are the village caseworker's: checked here, not
    only at the door, so the console and the API cannot differ (auditors and admins act on no
    case, whatever other role they also hold)."""
    if CASEWORKER not in acting_roles(user):
        raise Forbidden(
            f"only the village caseworker {action}; auditors and admins act on no case",
            code="caseworker-only",
            params={"action": action},
        )


def _check_event(program: Program, body: ApplicationCreate) -> None:
    if body.event.kind not in program.event_kinds:
        raise InvalidInput(
            f"{program.code} covers events {', '.join(program.event_kinds)}",
            field="event.kind",
            code="event-kind-not-covered",
            params={"program": program.code, "event_kinds": list(program.event_kinds)},
        )
    if body.event.date > local_today():
        raise InvalidInput(
            "the event date is in the future", field="event.date", code="event-date-future"
        )


def _check_confirmation(program: Program, body: ApplicationCreate) -> None:
    """特困救助 is for family-planning families 计划生育家庭: the caseworker confirms the household
    is one and that they saw the originals of its proofs, or the case is not opened."""
    if program.confirms_family_planning and not body.family_planning_confirmed:
        raise InvalidInput(
            f"{program.code} is for family-planning families: confirm the household is one and "
            "that you saw the originals of its proofs (family_planning_confirmed: true)",
            field="family_planning_confirmed",
            code="family-planning-unconfirmed",
            params={"program": program.code},
        )


async def _replayed(session: AsyncSession, *, user: User, key: str | None) -> Application | None:
    if not key:
        return None
    statement = select(Application).where(
        Application.submitted_by == user.id, Application.idempotency_key == key
    )
    return (await session.exec(statement)).first()


@dataclass
class Submitted:
    case: Application
    replayed: bool


async def submit(
    session: AsyncSession, *, user: User, body: ApplicationCreate, idempotency_key: str | None
) -> Submitted:
    """Open a case: validate, start its workflow, claim the household, record the event."""
    assert user.id is not None
    require_caseworker(user, "submits cases")
    replay = await _replayed(session, user=user, key=idempotency_key)
    if replay is not None:
        return Submitted(replay, replayed=True)
    program = await programs_service.get_active(session, body.program)
    # An unknown code is a typing error (422); a known village elsewhere is not theirs (403).
    await regions_service.get_village(session, body.village)
    if not user.covers(body.village):
        raise Forbidden(
            "the village is outside your jurisdiction",
            code="village-outside-jurisdiction",
            params={"village": body.village},
        )
    _check_event(program, body)
    _check_confirmation(program, body)
    # A program whose amount the county sets takes cases only where the event year's is set.
    await program_amounts.require_set(
        session, program, county=body.village[:6], year=body.event.date.year
    )
    assert program.active_flow_version_id is not None
    flow = await flows_service.parsed(session, program.active_flow_version_id)
    now = utcnow()
    case = Application(
        program_code=program.code,
        flow_version_id=program.active_flow_version_id,
        village_code=body.village,
        submitted_village_code=body.village,
        county_code=body.village[:6],
        status=IN_PROGRESS,
        applicant_name=body.applicant.name,
        applicant_id_number=body.applicant.id_number,
        spouse_name=body.spouse.name if body.spouse else None,
        spouse_id_number=body.spouse.id_number if body.spouse else None,
        bank_card=body.household.bank_card,
        phone=body.household.phone,
        event_kind=body.event.kind,
        event_date=body.event.date,
        relation=body.relation,
        certificate_holder=body.household.certificate_holder,
        two_daughters_sterilised=body.household.two_daughters_sterilised,
        family_planning_confirmed=body.family_planning_confirmed,
        details=body.details(),
        submitted_by=user.id,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
        workflow_state=b"",
    )
    # The program's decision table, on the facts of the case: clearly ineligible → 422.
    outcome = eligibility.require(program, case, today=local_today())
    case.eligibility, case.priority = outcome.as_record(), outcome.priority
    # The flow sees the program and the facts the decision tables read (no personal numbers),
    # so an uploaded flow's conditions and business rule tasks can branch on them.
    # Deadlines: the program's time limits per step and the county whose calendar counts them.
    start_data = {
        "program": program.code,
        "priority": outcome.priority,
        "county": case.county_code,
        "time_limits": dict(program.time_limits or {}),
    }
    start_data.update(eligibility.facts(case, today=local_today()))
    instance = Instance.start(flow, start_data)
    # Programs counted per household and event: the same event again, or another within the
    # minimum interval, is refused here, under the household's lock (service.applications.claims).
    problem = await claims.check_events(session, user=user, program=program, case=case)
    if problem is not None:
        replay = await _replayed(session, user=user, key=idempotency_key)
        if replay is not None:
            return Submitted(replay, replayed=True)
        raise problem
    claim_keys = claims.claim_keys_of(case, program)
    program_code = program.code
    try:
        session.add(case)
        await session.flush()
        assert case.id is not None
        # The primary key of household_claim refuses a second live case for the household.
        session.add_all(
            HouseholdClaim(program_code=program_code, claim_key=key, application_id=case.id)
            for key in claim_keys
        )
        await session.flush()
    except IntegrityError:
        # Objects of this session expire on rollback: use only values read before it.
        await audit_service.roll_back(session)
        replay = await _replayed(session, user=user, key=idempotency_key)
        if replay is not None:
            return Submitted(replay, replayed=True)
        raise await claims.duplicate_problem(
            session, user=user, program_code=program_code, claim_keys=claim_keys
        ) from None
    ready = instance.ready_tasks()
    case.status = progress.derive_status(instance, ready)
    case.workflow_state = instance.dump()
    case.next_timer_at = instance.next_timer_at()
    session.add(case)
    await progress.sync_tasks(session, case=case, ready=ready, data=instance.data)
    await notifications_service.case_received(session, case=case)
    audit_service.record(
        session,
        action="application_submitted",
        actor=user,
        role=CASEWORKER,
        region=case.village_code,
        application_id=case.id,
        after={
            "status": case.status,
            "program": program.code,
            "flow_version_id": case.flow_version_id,
            # The caseworker's word that the household is a family-planning family and that
            # they saw the originals (recorded where the program asks for it).
            **({"family_planning_confirmed": True} if case.family_planning_confirmed else {}),
        },
    )
    await audit_service.commit(session)
    SUBMISSIONS.labels(program_code).inc()
    return Submitted(case, replayed=False)


# The last 4 to 6 characters of a resident ID number, as a search names them (the last may be X).
ID_SUFFIX = r"^\d{3,5}[0-9Xx]$"


@dataclass
class CaseQuery:
    # A case number: that one case (when it is in the caller's jurisdiction).
    number: int | None = None
    # Part of the applicant's name as stored (a substring, case-insensitive where letters have
    # cases); the caller shows the names it finds masked.
    name: str | None = None
    # The last 4 to 6 characters of the applicant's resident ID number.
    id_suffix: str | None = None
    program: str | None = None
    status: str | None = None
    region: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    cursor: int | None = None
    limit: int = 50


async def list_cases(session: AsyncSession, *, user: User, query: CaseQuery) -> list[Application]:
    """Newest first, keyset-paginated on id (stable and fast at any depth)."""
    statement = select(Application).where(jurisdiction.visible_to(user))
    if query.number:
        statement = statement.where(Application.id == query.number)
    if query.name:
        statement = statement.where(
            col(Application.applicant_name).icontains(query.name, autoescape=True)
        )
    if query.id_suffix:
        statement = statement.where(
            col(Application.applicant_id_number).endswith(query.id_suffix.upper(), autoescape=True)
        )
    if query.program:
        statement = statement.where(Application.program_code == query.program)
    if query.status:
        statement = statement.where(Application.status == query.status)
    if query.region:
        statement = statement.where(col(Application.village_code).startswith(query.region))
    # Dates are office dates (China Standard Time by default), compared as instants.
    zone = ZoneInfo(get_settings().timezone)
    if query.submitted_from:
        start = datetime.combine(query.submitted_from, time.min, tzinfo=zone)
        statement = statement.where(col(Application.created_at) >= start)
    if query.submitted_to:
        end = datetime.combine(query.submitted_to, time.max, tzinfo=zone)
        statement = statement.where(col(Application.created_at) <= end)
    if query.cursor:
        statement = statement.where(col(Application.id) < query.cursor)
    statement = statement.order_by(col(Application.id).desc()).limit(query.limit)
    return list((await session.exec(statement)).all())


async def places_of(
    session: AsyncSession, *, user: User, ids: set[int]
) -> dict[int, tuple[str, str]]:
    """Village and program code of the cases ``ids`` the user may see (lists of payouts and
    other records that name their case show where it is and which program pays)."""
    if not ids:
        return {}
    statement = select(Application.id, Application.village_code, Application.program_code).where(
        col(Application.id).in_(ids), jurisdiction.visible_to(user)
    )
    return {int(row[0] or 0): (row[1], row[2]) for row in (await session.exec(statement)).all()}


async def documents_of(session: AsyncSession, application_id: int) -> list[Document]:
    statement = (
        select(Document).where(Document.application_id == application_id).order_by(col(Document.id))
    )
    return list((await session.exec(statement)).all())


def claims_of(case: Application) -> list[str]:
    """What the household claims to be, as the catalogue's ``documents.by_claim`` names it:
    each claim needs its proof (the certificate, the sterilisation proof) among the papers."""
    flags = {
        "certificate_holder": case.certificate_holder,
        "two_daughters_sterilised": case.two_daughters_sterilised,
    }
    return [name for name, claimed in flags.items() if claimed]


def required_kinds(program: Program, case: Application) -> list[str]:
    """The document kinds the program requires of this case: by the catalogue's rule on its
    spouse, its event and what the household claims."""
    return programs_service.required_documents(
        program,
        has_spouse=bool(case.spouse_id_number),
        event_kind=case.event_kind,
        claims=claims_of(case),
    )


def missing_kinds(program: Program, case: Application, documents: list[Document]) -> list[str]:
    """The document kinds the program requires of this case that are not attached yet."""
    attached = {document.kind for document in documents}
    return [kind for kind in required_kinds(program, case) if kind not in attached]


async def missing_documents(session: AsyncSession, *, case: Application) -> list[str]:
    program = await session.get(Program, case.program_code)
    assert program is not None
    assert case.id is not None
    return missing_kinds(program, case, await documents_of(session, case.id))


async def waits_on_caseworker(session: AsyncSession, application_id: int) -> bool:
    # Tasks of the case's own workflow (a yearly review's tasks do not reopen the file).
    statement = select(Task.id).where(
        Task.application_id == application_id,
        Task.status == READY,
        Task.role == CASEWORKER,
        col(Task.review_id).is_(None),
    )
    return (await session.exec(statement)).first() is not None


async def add_document(
    session: AsyncSession,
    *,
    user: User,
    application_id: int,
    kind: str,
    filename: str,
    content: bytes,
) -> Document:
    assert user.id is not None
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    require_caseworker(user, "attaches documents")
    # The file the village signed is the file that goes up: papers change only while the case
    # waits on the caseworker (investigation, or correction after a return).
    if not await waits_on_caseworker(session, application_id):
        raise Conflict(
            f"the case is {case.status} and not with the village caseworker; "
            "documents can be added before the village signs or after the case is returned",
            code="case-not-editable",
            params={"application_id": case.id, "status": case.status},
        )
    content_type = storage.sniff_content_type(content)
    document = storage.new_document(
        application_id=application_id,
        kind=kind,
        filename=filename,
        content=content,
        content_type=content_type,
        user_id=user.id,
    )
    digest = document.sha256
    session.add(document)
    await session.flush()
    audit_service.record(
        session,
        action="document_added",
        actor=user,
        role=CASEWORKER,
        region=case.village_code,
        application_id=application_id,
        after={"document_id": document.id, "kind": kind, "sha256": digest, "size": len(content)},
    )
    await audit_service.commit(session)
    return document


async def document_file(
    session: AsyncSession, *, user: User, application_id: int, document_id: int
) -> tuple[Document, Path]:
    """A document of a case the user may see, and where its bytes are stored (for download).

    A document of another case is as unknown as a case outside the jurisdiction (404)."""
    await jurisdiction.get_visible(session, user=user, application_id=application_id)
    document = await session.get(Document, document_id)
    if document is None or document.application_id != application_id:
        raise NotFound(
            f"no document {document_id} in case {application_id}",
            code="document-not-found",
            params={"document_id": document_id, "application_id": application_id},
        )
    return document, storage.path_for(document.sha256)


async def withdraw(
    session: AsyncSession, *, user: User, application_id: int, reason: str
) -> Application:
    """The household withdraws before county approval: open tasks end, the claim is released."""
    reason = checked(reason, field="reason")
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    require_caseworker(user, "withdraws cases")
    if case.status not in (IN_PROGRESS, RETURNED):
        raise Conflict(
            f"a case that is {case.status} cannot be withdrawn; withdrawal ends a case "
            "before county approval",
            code="case-not-withdrawable",
            params={"application_id": case.id, "status": case.status},
        )
    program = await session.get(Program, case.program_code)
    assert program is not None
    assert case.id is not None
    # Cancelled, the flow has no ready task left: move() cancels the case's task rows too.
    moved = await progress.move(session, case, Instance.cancel, case=case, status=WITHDRAWN)
    before = moved.before
    await progress.apply_status(
        session,
        case=case,
        program=program,
        before=before,
        status=WITHDRAWN,
        actor=user,
        role=CASEWORKER,
    )
    audit_service.record(
        session,
        action="application_withdrawn",
        actor=user,
        role=CASEWORKER,
        region=case.village_code,
        application_id=case.id,
        before={"status": before},
        after={"status": WITHDRAWN},
        comment=reason,
    )
    await audit_service.commit(session)
    await session.refresh(case)
    return case
