"""A case: applicant, status, timeline, documents, payout, flow diagram and decision form.

The page shows what ``GET /api/v1/applications/{id}`` shows (masked numbers), the case's own
flow version drawn by bpmn-js with its done and open tasks marked, and the forms the user may
use: the decision on a task waiting for them, withdrawal, revocation. Whether a form is shown
is a hint only; each command is checked again by the domain service it calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import changes, kinship, revocation, views
from service.applications import service as applications_service
from service.applications.models import (
    APPROVED,
    ENROLLED,
    HELD,
    IN_PROGRESS,
    NOTICE,
    PAID,
    REJECTED,
    RETURNED,
    REVOKED,
    WITHDRAWN,
)
from service.applications.schemas import ApplicationDetail
from service.auth.models import CASEWORKER, COUNTY_APPROVER, FINANCE_OFFICER, User, acting_roles
from service.config import get_settings
from service.errors import InvalidInput, NotFound, ReliefError
from service.flows import service as flows_service
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import PathId
from service.http.uploads import read_limited
from service.masking import mask_contact
from service.notices import service as notices_service
from service.regions import jurisdiction
from service.tasks import data as task_data
from service.tasks import handover
from service.tasks import service as tasks_service
from service.tasks.models import COMPLETED, Task
from service.tasks.schemas import Decision
from service.web import diagrams, i18n, insurance, labels, life_events, sessions, submit, task_forms
from service.web import errors as web_errors
from service.web.deps import PageUser, page_for
from service.web.i18n import N_
from service.web.templating import redirect, render, task_name
from service.web.vocabulary import in_language, term

router = APIRouter()
# The API's gates for the same commands (the services check again).
Caseworker = Annotated[User, Depends(page_for(CASEWORKER))]
CountyApprover = Annotated[User, Depends(page_for(COUNTY_APPROVER))]
# Statuses from which a caseworker may withdraw and a county approver revoke (the domain
# refuses the others; the page only offers what can succeed).
WITHDRAWABLE = (IN_PROGRESS, RETURNED)
REVOCABLE = (APPROVED, PAID, ENROLLED)


@dataclass(frozen=True)
class Choice:
    """A decision the task offers: the API's code, and its name and hint in the page's
    language."""

    code: str
    name: str
    hint: str


async def _choices(session: AsyncSession, task_id: int, language: str) -> list[Choice]:
    """The decisions the task offers, by the names its flow gives them (approve, reject and
    return under their usual names when it declares none)."""
    return [
        Choice(option.code, option.name(language), option.hint(language))
        for option in await tasks_service.offered_decisions(session, task_id)
    ]


@dataclass(frozen=True)
class ObjectionShown:
    """An objection the county examines, as the review task shows it (contact masked)."""

    text: str
    received_at: Any
    contact: str | None


async def _objections(session: AsyncSession, case_id: int) -> list[ObjectionShown]:
    """The objections not resolved yet: what the county's objection review decides on."""
    return [
        ObjectionShown(
            text=found.text, received_at=found.received_at, contact=mask_contact(found.contact)
        )
        for found in await notices_service.of_case(session, case_id)
        if found.resolution is None
    ]


# What happens after a decision, by the case's status then (open tasks: they are named).
NEXT_BY_STATUS = {
    REJECTED: N_("The case is closed and the applicant is told why."),
    RETURNED: N_("The case goes back to the village caseworker, who corrects it."),
    REVOKED: N_("The case is revoked; money paid becomes a recovery."),
    WITHDRAWN: N_("The case is closed."),
    PAID: N_("The payout is recorded and the case is closed."),
    ENROLLED: N_("The household is enrolled; the yearly payouts follow."),
    NOTICE: N_("The public notice runs; the payout follows when it ends."),
    HELD: N_("The payout is held while the county examines an objection."),
    APPROVED: N_("The case is approved; the finance officer pays it."),
}
# Statuses whose words say more than the open tasks would (the others name the next steps).
SAID_BY_STATUS = (REJECTED, RETURNED, REVOKED, WITHDRAWN, PAID, ENROLLED, NOTICE)


async def _what_next(
    session: AsyncSession,
    *,
    user: User,
    detail: ApplicationDetail,
    decided: int | None,
    language: str,
) -> dict[str, Any] | None:
    """After the user's decision on a task of this case: the decision, what happens next
    (from the case's status and open tasks now) and the next task in the user's inbox."""
    if decided is None:
        return None
    task = await session.get(Task, decided)
    if (
        task is None
        or task.application_id != detail.id
        or task.status != COMPLETED
        or task.completed_by != user.id
        or task.decision is None
    ):
        return None
    gettext = i18n.translations(language).gettext
    chosen = next(
        (c.name for c in await _choices(session, decided, language) if c.code == task.decision),
        gettext(term("decision", task.decision)),
    )
    steps = [
        f"{task_name(open_task, language)}（{gettext(term('role', open_task.role))}）"
        for open_task in detail.tasks
    ]
    if detail.status in SAID_BY_STATUS or (detail.status in NEXT_BY_STATUS and not steps):
        message = gettext(NEXT_BY_STATUS[detail.status])
    elif steps:
        message = gettext("The case goes to: %(steps)s.") % {"steps": "、".join(steps)}
    else:
        message = gettext("Nothing waits on anyone for this case now.")
    upcoming = await tasks_service.inbox(session, user=user, limit=1)
    return {
        "task": task,
        "decision": chosen,
        "message": message,
        "next": upcoming[0] if upcoming else None,
    }


@router.get("/applications/{application_id}")
async def case_page(
    request: Request,
    application_id: PathId,
    user: PageUser,
    session: SessionDep,
    decided: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    detail = await views.detail(session, case)
    language = sessions.of(request).language
    # The tasks of this case waiting for this user: role, jurisdiction, separation of duties.
    my_tasks = await tasks_service.inbox(session, user=user, application_id=application_id)
    task = my_tasks[0] if my_tasks else None
    done, open_specs = await tasks_service.specs_of_case(session, application_id)
    roles = acting_roles(user)
    context = {
        "case": detail,
        "labels": await labels.load(session, language),
        "task": task,
        "choices": await _choices(session, task.id, language) if task else [],
        "objections": await _objections(session, application_id) if task else [],
        "done_specs": " ".join(done),
        "open_specs": " ".join(open_specs),
        "may_edit": CASEWORKER in roles and detail.status == RETURNED,
        "may_withdraw": CASEWORKER in roles and detail.status in WITHDRAWABLE,
        "may_revoke": COUNTY_APPROVER in roles and detail.status in REVOCABLE,
        "finance": FINANCE_OFFICER in roles,
        "fields": await task_data.declared_fields(session, task_id=task.id) if task else (),
        "proposal": await task_data.proposal(session, task_id=task.id) if task else {},
        # What the county approved of what is paid (a field changing it shows it, masked).
        "approved": changes.shown(changes.approved_values(case)),
        # Open tasks a county approver / township reviewer may hand to someone (改派).
        "reassign": await handover.offers(session, user=user, tasks=detail.tasks),
        "amount": await views.amount_due(session, case),
        "eligibility_reason": _eligibility_reason(detail, language),
        # A father with a woman's ID number, a mother with a man's: for the caseworker to check.
        "relation_flag": kinship.contradicts(case.relation, case.applicant_id_number),
        "what_next": await _what_next(
            session, user=user, detail=detail, decided=decided, language=language
        ),
    }
    # The documents section: checklist, downloads and (while the case waits on the
    # caseworker) the upload form, shared with the upload's own answer.
    context |= await submit.documents_context(session, user, detail)
    context |= await life_events.context(session, user=user, case=case)  # death, moving away
    context |= await insurance.case_context(session, user=user, case=case)  # 平安保障
    context["timeline_oob"] = False  # in the page itself; the upload's answer swaps it
    return render(request, "case.html", context, user=user)


def _eligibility_reason(detail: ApplicationDetail, language: str) -> tuple[str, bool]:
    """The eligibility table's reason: a message id of the service's own reasons (True), or
    the county's text in the page's language (False)."""
    reason = detail.eligibility.reason or ""
    known = term("eligibility_reason", reason)
    if known != reason:
        return known, True
    return in_language(reason, language), False


@router.get("/applications/{application_id}/diagram.bpmn")
async def case_diagram(
    request: Request, application_id: PathId, user: PageUser, session: SessionDep
) -> Response:
    """The BPMN of the flow version the case runs on, for anyone who may see the case: the
    diagram's source, fetched by diagram.js, with names in the page's language and lanes by
    their role's name (``diagrams.shown``). An administrator's upload, so served inert (plain
    text, sandboxed): a version stored before uploads refused stylesheets and XHTML markup
    still cannot run anything on this origin."""
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    version = await flows_service.get_version(session, case.flow_version_id)
    return await diagrams.shown(version.bpmn_xml, sessions.of(request).language)


@router.post("/applications/{application_id}/decision")
async def decide(
    request: Request,
    application_id: PathId,
    user: PageUser,
    session: WriteSessionDep,
    task_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    decision: Annotated[str, Form(max_length=16)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Complete the user's task with approve / reject / return and a comment, as
    ``POST /api/v1/tasks/{id}/complete`` does, with the fields the task declares
    (``data.<name>`` inputs: the payout's bank reference, a review's parents)."""
    back = f"/applications/{application_id}"
    if await tasks_service.case_of_task(session, task_id) != application_id:
        raise NotFound("no such task on this case", code="case-task-not-found")
    if decision in ("reject", "return") and not comment.strip():
        sessions.of(request).tell(
            N_("Reject and return need a reason the applicant can read."), "error"
        )
        return redirect(request, back)
    fields = await task_data.declared_fields(session, task_id=task_id)
    try:
        body = Decision(
            decision=decision,  # validated by the model: approve | reject | return
            comment=comment.strip() or None,
            data=task_forms.data_of(await request.form(), fields),
        )
    except ValidationError as invalid:
        wrong = {str(error["loc"][0]) for error in invalid.errors() if error["loc"]}
        sessions.of(request).tell(
            N_("The comment holds characters that cannot be stored; remove them and try again.")
            if "comment" in wrong
            else N_("Choose one of the decisions the task offers."),
            "error",
        )
        return redirect(request, back)
    try:
        await tasks_service.complete(session, user=user, task_id=task_id, decision=body)
    except ReliefError as refused:
        # Every refusal in the page's language, from the catalogue (web/reasons.py).
        return await web_errors.back_with_refusal(request, session, refused, back)
    sessions.of(request).tell(N_("Decision recorded."))
    return redirect(request, f"{back}?decided={task_id}")


@router.post("/applications/{application_id}/withdraw")
async def withdraw(
    request: Request,
    application_id: PathId,
    user: Caseworker,
    session: WriteSessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    back = f"/applications/{application_id}"
    try:
        if not reason.strip():
            raise InvalidInput(
                "give the household's reason for withdrawing",
                field="reason",
                code="withdrawal-reason-required",
            )
        await applications_service.withdraw(
            session, user=user, application_id=application_id, reason=reason.strip()
        )
    except ReliefError as refused:
        return await web_errors.back_with_refusal(request, session, refused, back)
    sessions.of(request).tell(N_("The application was withdrawn."))
    return redirect(request, back)


@router.post("/applications/{application_id}/revoke")
async def revoke(
    request: Request,
    application_id: PathId,
    user: CountyApprover,
    session: WriteSessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    evidence: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    limit = get_settings().max_upload_bytes
    files = [
        revocation.Evidence(
            filename=upload.filename or "evidence",
            content=await read_limited(upload, limit=limit, field="evidence", what="documents"),
        )
        for upload in evidence or []
        if upload.filename
    ]
    back = f"/applications/{application_id}"
    try:
        await revocation.revoke(
            session, user=user, application_id=application_id, reason=reason.strip(), evidence=files
        )
    except ReliefError as refused:
        return await web_errors.back_with_refusal(request, session, refused, back)
    sessions.of(request).tell(N_("The application was revoked."))
    return redirect(request, back)


@router.post("/applications/{application_id}/reassign")
async def reassign(
    request: Request,
    application_id: PathId,
    user: PageUser,
    session: WriteSessionDep,
    task_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    to: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Hand an open task to a colleague, with a reason, as ``POST /api/v1/tasks/{id}/reassign``
    does (改派)."""
    back = f"/applications/{application_id}"
    if await tasks_service.case_of_task(session, task_id) != application_id:
        raise NotFound("no such task on this case", code="case-task-not-found")
    try:
        await handover.reassign(session, user=user, task_id=task_id, to=to, reason=reason)
    except ReliefError as refused:
        return await web_errors.back_with_refusal(request, session, refused, back)
    sessions.of(request).tell(N_("The task was reassigned."))
    return redirect(request, back)
