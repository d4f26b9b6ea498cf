"""Building API views of cases. Personal numbers are masked here, once for every response."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import service as applications_service
from service.applications.models import Application
from service.applications.schemas import (
    ApplicationDetail,
    ApplicationRead,
    DocumentRead,
    EligibilityRead,
    Event,
    HouseholdRead,
    PayoutRead,
    PersonRead,
    TaskSummary,
    TimelineEntry,
)
from service.audit import queries as audit_queries
from service.auth.models import User
from service.clock import local_today
from service.flows.models import FlowVersion
from service.masking import mask_card, mask_id_number, mask_numbers_in, mask_phone
from service.money import amount_cny
from service.payouts import county_amounts, yearly
from service.payouts import service as payouts_service
from service.payouts.models import CANCELLED, ONCE
from service.payouts.schemas import PayoutPersonRead
from service.programs.models import BenefitStandard, Program
from service.recoveries import service as recoveries_service
from service.tasks.models import READY, Task


async def _usernames(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.exec(select(User.id, User.username).where(col(User.id).in_(ids)))
    return {user_id: username for user_id, username in rows.all() if user_id is not None}


async def open_tasks(session: AsyncSession, case_ids: list[int]) -> dict[int, list[TaskSummary]]:
    if not case_ids:
        return {}
    statement = (
        select(Task)
        .where(col(Task.application_id).in_(case_ids), Task.status == READY)
        .order_by(col(Task.id))
    )
    tasks = list((await session.exec(statement)).all())
    names = await _usernames(session, {task.claimed_by for task in tasks if task.claimed_by})
    by_case: dict[int, list[TaskSummary]] = defaultdict(list)
    for task in tasks:
        claimer = names.get(task.claimed_by) if task.claimed_by else None
        by_case[task.application_id].append(TaskSummary.of(task, claimer))
    return by_case


def _read(
    case: Application, tasks: list[TaskSummary], submitter: str, flow: str
) -> ApplicationRead:
    assert case.id is not None
    spouse = (
        PersonRead(
            name=case.spouse_name or "", id_number=mask_id_number(case.spouse_id_number) or ""
        )
        if case.spouse_id_number
        else None
    )
    return ApplicationRead(
        id=case.id,
        program=case.program_code,
        village=case.village_code,
        submitted_village=case.submitted_village_code,
        status=case.status,
        applicant=PersonRead(
            name=case.applicant_name, id_number=mask_id_number(case.applicant_id_number) or ""
        ),
        spouse=spouse,
        household=HouseholdRead(
            bank_card=mask_card(case.bank_card) or "",
            phone=mask_phone(case.phone),
            certificate_holder=case.certificate_holder,
            two_daughters_sterilised=case.two_daughters_sterilised,
        ),
        relation=case.relation,
        eligibility=EligibilityRead(**case.eligibility),
        priority=case.priority,
        family_planning_confirmed=case.family_planning_confirmed,
        eligible_parents=case.eligible_parents,
        event=Event(kind=case.event_kind, date=case.event_date),
        details=mask_numbers_in(case.details),
        submitted_by=submitter,
        flow_version=flow,
        created_at=case.created_at,
        updated_at=case.updated_at,
        tasks=tasks,
    )


async def _flow_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    rows = await session.exec(
        select(FlowVersion.id, FlowVersion.key, FlowVersion.version).where(
            col(FlowVersion.id).in_(ids)
        )
    )
    return {
        version_id: f"{key}@v{number}"
        for version_id, key, number in rows.all()
        if version_id is not None
    }


async def summaries(session: AsyncSession, cases: list[Application]) -> list[ApplicationRead]:
    ids = [case.id for case in cases if case.id is not None]
    tasks = await open_tasks(session, ids)
    names = await _usernames(session, {case.submitted_by for case in cases})
    flows = await _flow_names(session, {case.flow_version_id for case in cases})
    return [
        _read(
            case,
            tasks.get(case.id or 0, []),
            names.get(case.submitted_by, ""),
            flows.get(case.flow_version_id, ""),
        )
        for case in cases
    ]


async def detail(session: AsyncSession, case: Application) -> ApplicationDetail:
    assert case.id is not None
    (summary,) = await summaries(session, [case])
    program = await session.get(Program, case.program_code)
    assert program is not None
    of_case = await payouts_service.of_case(session, case.id)
    persons = await payouts_service.persons_of(session, [p.id for p in of_case if p.id])
    payouts = [
        PayoutRead(
            id=payout.id or 0,
            period=payout.period,
            amount_fen=payout.amount_fen,
            amount_cny=amount_cny(payout.amount_fen),
            status=payout.status,
            bank_reference=payout.bank_reference,
            paid_at=payout.paid_at,
            rule=payout.rule,
            payee=payout.payee,
            payee_account=payout.payee_account,
            persons=[PayoutPersonRead.model_validate(p) for p in persons.get(payout.id or 0, [])],
        )
        for payout in of_case
    ]
    documents = await applications_service.documents_of(session, case.id)
    return ApplicationDetail(
        **summary.model_dump(),
        documents=[DocumentRead.model_validate(document) for document in documents],
        required_documents=applications_service.required_kinds(program, case),
        missing_documents=applications_service.missing_kinds(program, case, documents),
        timeline=[
            TimelineEntry.model_validate(event)
            for event in await audit_queries.case_history(session, case.id)
        ],
        payout=next((p for p in payouts if p.period == ONCE), None),
        payouts=payouts,
        recoveries=await recoveries_service.of_case(session, case.id),
    )


# --- what the case page shows beside the API's detail -----------------------------------------


@dataclass(frozen=True)
class Amount:
    """What the case pays: a one-time sum, or a yearly benefit's sum for this year and the
    parents who receive it (1: the applicant, 2: both parents). ``fen`` None: the year's
    base standard is not configured yet."""

    fen: int | None
    yearly: bool
    year: int | None = None
    parents: int = 1


async def amount_due(session: AsyncSession, case: Application) -> Amount:
    """The amount the case will pay, as payouts compute it: the one-time payout's own sum
    once it exists (else the program's), or this year's yearly sum for the parents enrolled
    (both named parents until a review records otherwise)."""
    assert case.id is not None
    program = await session.get(Program, case.program_code)
    assert program is not None
    if program.kind != "yearly" or program.yearly is None:
        payout = await payouts_service.for_application(session, case.id)
        owed = payout.amount_fen if payout is not None and payout.status != CANCELLED else None
        if owed is None:  # a county-set amount (never the catalogue's 0): the county's
            computed = await county_amounts.owed(session, case=case, program=program)
            owed = computed[0] if computed else program.amount_fen
        return Amount(fen=owed, yearly=False)
    year = local_today().year
    parents = case.eligible_parents or yearly.parents_enrolled(case)
    standard = await session.get(BenefitStandard, (program.code, year, case.event_kind))
    fen = None if standard is None else yearly.yearly_amount_fen(program, standard, parents)
    return Amount(fen=fen, yearly=True, year=year, parents=parents)


@dataclass(frozen=True)
class TimelineRow:
    """One entry of the case's timeline as the page words it: the case's status change
    (only a real one), the decision, the document added (kind and file name), the payout's
    sum."""

    entry: TimelineEntry
    status_before: str | None = None
    status_after: str | None = None
    decision: str | None = None
    document_kind: str | None = None
    document_name: str | None = None
    amount_fen: int | None = None
    # The submission recorded the caseworker's confirmation of the family-planning family.
    family_planning_confirmed: bool = False


def _says_more(before: dict[str, Any], after: dict[str, Any], entry: TimelineEntry) -> bool:
    """An entry says something beside a status: a comment, or any other value it records."""
    return bool(entry.comment) or any(
        key != "status" and value is not None
        for part in (before, after)
        for key, value in part.items()
    )


def _said_next(entries: list[TimelineEntry], index: int, was: Any, now: Any) -> bool:
    """The entry after ``index`` is the same status change on its own (a completion records
    its decision, then the change of status it made)."""
    following = entries[index + 1] if index + 1 < len(entries) else None
    if following is None or following.action != "status_changed":
        return False
    if entries[index].action == "status_changed":
        return False
    before = following.before if isinstance(following.before, dict) else {}
    after = following.after if isinstance(following.after, dict) else {}
    return bool(before.get("status") == was and after.get("status") == now)


def timeline_rows(detail: ApplicationDetail) -> list[TimelineRow]:
    """The timeline's real changes: an entry whose status stays what it was and that says
    nothing else is left out, and a status change is shown once (a completion's decision,
    then the change it made); a payout's entry shows its sum (its own status is the action's
    name), a document's its kind and file name."""
    names = {document.id: document.filename for document in detail.documents}
    rows = []
    entries = detail.timeline
    for index, entry in enumerate(entries):
        before = entry.before if isinstance(entry.before, dict) else {}
        after = entry.after if isinstance(entry.after, dict) else {}
        if "payout_id" in after:
            amount = after.get("amount_fen")
            rows.append(
                TimelineRow(entry=entry, amount_fen=amount if isinstance(amount, int) else None)
            )
            continue
        was, now = before.get("status"), after.get("status")
        if was is not None and was == now and not _says_more(before, after, entry):
            continue
        document = after.get("document_id")
        if was != now and _said_next(entries, index, was, now):
            was = now = None  # the status change that follows says it, once
        rows.append(
            TimelineRow(
                entry=entry,
                status_before=was if was != now else None,
                status_after=now if now != was else None,
                decision=after.get("decision"),
                document_kind=after.get("kind") if document is not None else None,
                document_name=names.get(document) if isinstance(document, int) else None,
                family_planning_confirmed=after.get("family_planning_confirmed") is True,
            )
        )
    return rows
