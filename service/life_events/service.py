"""Events in a recipient's life: recorded by the village, confirmed by the county.

A caseworker of the case's village records a parent's death or the household's move out of the
county on an enrolled special-assistance case, with one evidence document. A county approver
who did not record it confirms or rejects it. A confirmation, in one transaction
(``settlement.settle``): the yearly benefit stops from ``from_year`` (the year after the event),
per parent when one of two dies, wholly when the last eligible parent dies or the household
moves away; pending payouts of those years are cancelled or cut to the survivor's share, what
was paid for them opens a recovery 追回, and an annual review of those years under way ends.

The annual review also re-reads the eligibility table with the review year's facts
(``reevaluate_at_review``); a refusal becomes an event of kind ``no_longer_eligible`` that
waits for the same county confirmation (recorded by the table, so any county approver
decides it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import storage
from service.applications.models import ENROLLED, Application
from service.audit import service as audit_service
from service.auth.models import CASEWORKER, COUNTY_APPROVER, User, acting_roles
from service.clock import local_today, utcnow
from service.errors import Conflict, Forbidden, InvalidInput, NotFound, SeparationOfDuties
from service.life_events import settlement
from service.life_events.models import (
    APPLICANT,
    CONFIRMED,
    DEATH,
    MOVED_AWAY,
    PENDING,
    REJECTED,
    SPOUSE,
    LifeEvent,
    ReviewOutcome,
)
from service.regions import jurisdiction
from service.text import checked

# The document kind of a life event's evidence (not one the caseworker attaches on its own).
LIFE_EVENT_EVIDENCE = "life_event_evidence"
RECORDED_KINDS = (DEATH, MOVED_AWAY)
PERSONS = (APPLICANT, SPOUSE)


@dataclass(frozen=True)
class Evidence:
    filename: str
    content: bytes


@dataclass(frozen=True)
class NewEvent:
    application_id: int
    kind: str
    event_date: date
    person: str | None
    note: str


# --- reading -------------------------------------------------------------------------------


async def get_visible(session: AsyncSession, *, user: User, event_id: int) -> LifeEvent:
    """An event of a case the caller sees; 404 otherwise (as for the case itself)."""
    statement = (
        select(LifeEvent)
        .join(Application, col(Application.id) == LifeEvent.application_id)
        .where(LifeEvent.id == event_id, jurisdiction.visible_to(user))
    )
    event = (await session.exec(statement)).first()
    if event is None:
        raise NotFound(
            f"no life event {event_id}",
            code="life-event-not-found",
            params={"event_id": event_id},
        )
    return event


async def list_visible(
    session: AsyncSession,
    *,
    user: User,
    application_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[LifeEvent]:
    """Events of cases in the caller's jurisdiction, newest first."""
    statement = (
        select(LifeEvent)
        .join(Application, col(Application.id) == LifeEvent.application_id)
        .where(jurisdiction.visible_to(user))
    )
    if application_id is not None:
        statement = statement.where(LifeEvent.application_id == application_id)
    if status is not None:
        statement = statement.where(LifeEvent.status == status)
    statement = statement.order_by(col(LifeEvent.id).desc()).limit(limit)
    return list((await session.exec(statement)).all())


async def of_case(session: AsyncSession, application_id: int) -> list[LifeEvent]:
    """The events of a case the caller already sees (the case page), oldest first."""
    statement = (
        select(LifeEvent)
        .where(LifeEvent.application_id == application_id)
        .order_by(col(LifeEvent.id))
    )
    return list((await session.exec(statement)).all())


# --- recording -------------------------------------------------------------------------------


def _check_new(case: Application, new: NewEvent, evidence: list[Evidence]) -> tuple[str, str]:
    """The refusals of a recording, before anything changes; the note and the file's type."""
    if new.kind not in RECORDED_KINDS:
        raise InvalidInput(
            f"the kind is one of {', '.join(RECORDED_KINDS)}",
            field="kind",
            code="life-event-kind-unknown",
            params={"kinds": list(RECORDED_KINDS)},
        )
    if new.kind == DEATH and new.person not in PERSONS:
        raise InvalidInput(
            "a death names the parent who died: applicant or spouse",
            field="person",
            code="life-event-person-required",
            params={"persons": list(PERSONS)},
        )
    if new.kind == DEATH and new.person == SPOUSE and not case.spouse_id_number:
        raise InvalidInput(
            "the case names no spouse",
            field="person",
            code="life-event-no-spouse",
        )
    if new.event_date > local_today():
        raise InvalidInput(
            "the event's date is in the future",
            field="event_date",
            code="life-event-date-in-future",
            params={"today": local_today().isoformat()},
        )
    note = checked(new.note.strip(), field="note")
    if len(evidence) != 1:
        raise InvalidInput(
            "one evidence file is required (a death certificate, proof of the move)",
            field="evidence",
            code="evidence-required",
        )
    return note, storage.sniff_content_type(evidence[0].content, field="evidence")


async def _dead_already(session: AsyncSession, case_id: int) -> set[str]:
    statement = select(LifeEvent.person).where(
        LifeEvent.application_id == case_id,
        LifeEvent.kind == DEATH,
        LifeEvent.status == CONFIRMED,
    )
    return {person for person in (await session.exec(statement)).all() if person}


def _not_enrolled(case: Application) -> Conflict:
    return Conflict(
        f"case {case.id} is {case.status}; life events change an enrolment only",
        code="life-event-case-not-enrolled",
        params={"application_id": case.id, "status": case.status},
    )


async def record(
    session: AsyncSession, *, user: User, new: NewEvent, evidence: list[Evidence]
) -> LifeEvent:
    """Record a death or a move with its evidence; it waits for the county."""
    assert user.id is not None
    case = await jurisdiction.get_visible(session, user=user, application_id=new.application_id)
    if CASEWORKER not in acting_roles(user):
        raise Forbidden(
            "only the village caseworker records a life event",
            code="life-event-caseworker-only",
        )
    if case.status != ENROLLED:
        raise _not_enrolled(case)
    note, content_type = _check_new(case, new, evidence)
    if new.kind == DEATH and new.person in await _dead_already(session, new.application_id):
        raise Conflict(
            f"the {new.person}'s death is confirmed already",
            code="life-event-already-dead",
            params={"person": new.person},
        )
    assert case.id is not None
    if await _pending_exists(session, case.id):
        raise _pending_conflict(case.id)
    document = storage.new_document(
        application_id=case.id,
        kind=LIFE_EVENT_EVIDENCE,
        filename=evidence[0].filename,
        content=evidence[0].content,
        content_type=content_type,
        user_id=user.id,
    )
    session.add(document)
    await session.flush()
    event = LifeEvent(
        application_id=case.id,
        kind=new.kind,
        person=new.person if new.kind == DEATH else None,
        event_date=new.event_date,
        from_year=new.event_date.year + 1,
        note=note,
        document_id=document.id,
        status=PENDING,
        recorded_by=user.id,
        recorded_at=utcnow(),
    )
    await _insert_pending(session, event)
    audit_service.record(
        session,
        action="life_event_recorded",
        actor=user,
        role=CASEWORKER,
        region=case.village_code,
        application_id=case.id,
        after={
            **_described(event),
            # The evidence, as the timeline shows a document: its kind and file.
            "document_id": document.id,
            "kind": LIFE_EVENT_EVIDENCE,
            "sha256": document.sha256,
        },
        comment=note or None,
    )
    await audit_service.commit(session)
    await session.refresh(event)
    return event


async def _pending_exists(session: AsyncSession, case_id: int) -> bool:
    statement = select(LifeEvent.id).where(
        LifeEvent.application_id == case_id, LifeEvent.status == PENDING
    )
    return (await session.exec(statement)).first() is not None


def _pending_conflict(case_id: int) -> Conflict:
    return Conflict(
        "an event of this case already waits for the county",
        code="life-event-pending-exists",
        params={"application_id": case_id},
    )


async def _insert_pending(session: AsyncSession, event: LifeEvent) -> None:
    """Add the event; a second pending one of the case, recorded at the same moment, is
    refused by the database's partial unique index."""
    case_id = event.application_id
    try:
        session.add(event)
        await session.flush()
    except IntegrityError:
        await audit_service.roll_back(session)
        raise _pending_conflict(case_id) from None


def _described(event: LifeEvent) -> dict[str, object]:
    return {
        "life_event_id": event.id,
        "life_event": event.kind,
        "person": event.person,
        "event_date": event.event_date.isoformat(),
        "from_year": event.from_year,
    }


# --- the county's decision ---------------------------------------------------------------


async def _decidable(session: AsyncSession, *, user: User, event_id: int) -> LifeEvent:
    event = await get_visible(session, user=user, event_id=event_id)
    if COUNTY_APPROVER not in acting_roles(user):
        raise Forbidden(
            "only the county approver confirms or rejects a life event",
            code="life-event-county-approver-only",
        )
    if event.recorded_by is not None and event.recorded_by == user.id:
        raise SeparationOfDuties(
            "the one who recorded the event does not confirm it",
            code="life-event-own-record",
        )
    if event.status != PENDING:
        raise Conflict(
            f"life event {event_id} is {event.status} already",
            code="life-event-decided",
            params={"event_id": event_id, "status": event.status},
        )
    return event


async def _claim(session: AsyncSession, event: LifeEvent, *, user: User, status: str) -> None:
    """pending → ``status`` in the statement: of two decisions racing, one wins."""
    decided = await session.exec(
        update(LifeEvent)
        .where(col(LifeEvent.id) == event.id, col(LifeEvent.status) == PENDING)
        .values(status=status, decided_by=user.id, decided_at=utcnow())
    )
    if decided.rowcount != 1:
        raise Conflict(
            f"life event {event.id} was decided meanwhile",
            code="life-event-decided",
            params={"event_id": event.id, "status": "decided"},
        )
    await session.refresh(event)


async def confirm(session: AsyncSession, *, user: User, event_id: int, comment: str) -> LifeEvent:
    """Confirm the event: what is paid from ``from_year`` on changes, in one transaction."""
    event = await _decidable(session, user=user, event_id=event_id)
    case = await session.get(Application, event.application_id)
    assert case is not None
    if case.status != ENROLLED:
        raise _not_enrolled(case)
    comment = checked(comment.strip(), field="comment")
    await _claim(session, event, user=user, status=CONFIRMED)
    event.decision_comment = comment or None
    audit_service.record(
        session,
        action="life_event_confirmed",
        actor=user,
        role=COUNTY_APPROVER,
        region=case.village_code,
        application_id=case.id,
        before={"event_status": PENDING},
        after={**_described(event), "event_status": CONFIRMED},
        comment=comment or None,
    )
    dead = await _dead_already(session, case.id or 0)
    event.effects = await settlement.settle(
        session, case=case, event=event, dead_before=dead - {event.person or ""}, actor=user
    )
    session.add(event)
    await audit_service.commit(session)
    await session.refresh(event)
    return event


async def reject(session: AsyncSession, *, user: User, event_id: int, comment: str) -> LifeEvent:
    """Reject the event (the evidence does not hold): nothing about the payments changes."""
    event = await _decidable(session, user=user, event_id=event_id)
    comment = checked(comment.strip(), field="comment")
    if not comment:
        raise InvalidInput(
            "a rejection gives its reason", field="comment", code="life-event-reason-required"
        )
    case = await session.get(Application, event.application_id)
    assert case is not None
    await _claim(session, event, user=user, status=REJECTED)
    event.decision_comment = comment
    session.add(event)
    audit_service.record(
        session,
        action="life_event_rejected",
        actor=user,
        role=COUNTY_APPROVER,
        region=case.village_code,
        application_id=case.id,
        before={"event_status": PENDING},
        after={**_described(event), "event_status": REJECTED},
        comment=comment,
    )
    await audit_service.commit(session)
    await session.refresh(event)
    return event


async def outcomes_visible(
    session: AsyncSession, *, user: User, application_id: int
) -> list[ReviewOutcome]:
    """The eligibility table's outcome at each annual review of a case the caller sees."""
    await jurisdiction.get_visible(session, user=user, application_id=application_id)
    return await outcomes_of(session, application_id)


async def outcomes_of(session: AsyncSession, application_id: int) -> list[ReviewOutcome]:
    statement = (
        select(ReviewOutcome)
        .where(ReviewOutcome.application_id == application_id)
        .order_by(col(ReviewOutcome.year))
    )
    return list((await session.exec(statement)).all())
