"""A case: applicant, status, timeline, documents, payout, flow diagram and decision form.

The page shows what ``GET /api/v1/applications/{id}`` shows (masked numbers), the case's own
flow version drawn by bpmn-js with its done and open tasks marked, and the forms the user may
use: the decision on a task waiting for them, withdrawal, revocation. Whether a form is shown
is a hint only; each command is checked again by the domain service it calls.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from service.applications import changes, revocation, views
from service.applications import service as applications_service
from service.applications.models import APPROVED, ENROLLED, IN_PROGRESS, PAID, RETURNED
from service.auth.models import CASEWORKER, COUNTY_APPROVER, FINANCE_OFFICER, User, acting_roles
from service.config import get_settings
from service.errors import InvalidInput, NotFound, ReliefError
from service.flows import service as flows_service
from service.http import downloads
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import PathId
from service.http.uploads import read_limited
from service.regions import jurisdiction
from service.tasks import data as task_data
from service.tasks import handover
from service.tasks import service as tasks_service
from service.tasks.schemas import Decision
from service.web import errors as web_errors
from service.web import labels, sessions, submit, task_forms
from service.web.deps import PageUser, page_for
from service.web.i18n import N_
from service.web.templating import redirect, render

router = APIRouter()
# The API's gates for the same commands (the services check again).
Caseworker = Annotated[User, Depends(page_for(CASEWORKER))]
CountyApprover = Annotated[User, Depends(page_for(COUNTY_APPROVER))]
# Statuses from which a caseworker may withdraw and a county approver revoke (the domain
# refuses the others; the page only offers what can succeed).
WITHDRAWABLE = (IN_PROGRESS, RETURNED)
REVOCABLE = (APPROVED, PAID, ENROLLED)


@router.get("/applications/{application_id}")
async def case_page(
    request: Request, application_id: PathId, user: PageUser, session: SessionDep
) -> Response:
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    detail = await views.detail(session, case)
    # The tasks of this case waiting for this user: role, jurisdiction, separation of duties.
    my_tasks = await tasks_service.inbox(session, user=user, application_id=application_id)
    done, open_specs = await tasks_service.specs_of_case(session, application_id)
    roles = acting_roles(user)
    context = {
        "case": detail,
        "labels": await labels.load(session, sessions.of(request).language),
        "task": my_tasks[0] if my_tasks else None,
        "done_specs": " ".join(done),
        "open_specs": " ".join(open_specs),
        "may_edit": CASEWORKER in roles and detail.status == RETURNED,
        "may_withdraw": CASEWORKER in roles and detail.status in WITHDRAWABLE,
        "may_revoke": COUNTY_APPROVER in roles and detail.status in REVOCABLE,
        "finance": FINANCE_OFFICER in roles,
        "fields": await task_data.declared_fields(session, task_id=my_tasks[0].id)
        if my_tasks
        else (),
        "proposal": await task_data.proposal(session, task_id=my_tasks[0].id) if my_tasks else {},
        # What the county approved of what is paid (a field changing it shows it, masked).
        "approved": changes.shown(changes.approved_values(case)),
        # Open tasks a county approver / township reviewer may hand to someone (改派).
        "reassign": await handover.offers(session, user=user, tasks=detail.tasks),
    }
    # The documents section: checklist, downloads and (while the case waits on the
    # caseworker) the upload form, shared with the upload's own answer.
    context |= await submit.documents_context(session, user, detail)
    return render(request, "case.html", context, user=user)


@router.get("/applications/{application_id}/diagram.bpmn")
async def case_diagram(application_id: PathId, user: PageUser, session: SessionDep) -> Response:
    """The BPMN of the flow version the case runs on, for anyone who may see the case: the
    diagram's source, fetched by diagram.js. An administrator's upload, so served inert (plain
    text, sandboxed): a version stored before uploads refused stylesheets and XHTML markup
    is served as stored and still cannot run anything on this origin."""
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    version = await flows_service.get_version(session, case.flow_version_id)
    return downloads.inert_text(version.bpmn_xml)


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
            else N_("Choose approve, reject or return."),
            "error",
        )
        return redirect(request, back)
    try:
        await tasks_service.complete(session, user=user, task_id=task_id, decision=body)
    except ReliefError as refused:
        # A declared field's refusal, in the page's language (the others: issue 20).
        own_words = task_forms.REFUSED if refused.code.startswith("data-field-") else None
        return await web_errors.back_with_refusal(
            request, session, refused, back, message=own_words
        )
    sessions.of(request).tell(N_("Decision recorded."))
    return redirect(request, back)


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


# The reassign form's refusals, in the page's language.
REASSIGN_REFUSALS = {
    "reassign-target-cannot-act": N_(
        "This person may not take the task: it needs its role, a jurisdiction covering its "
        "village, an active account, and no decision at another level of this case."
    ),
    "reassign-same-holder": N_("This person already holds the task."),
    "task-not-reassignable": N_("Only a task that is claimed or past its deadline is reassigned."),
    "task-claimed-meanwhile": N_(
        "The task was claimed, reassigned or completed meanwhile; look at it again."
    ),
    "reason-required": N_("Give the reason for the reassignment, in 1 to 500 characters."),
    "reassign-role-required": N_(
        "Only a county approver, or a township reviewer for the township's steps, reassigns."
    ),
}


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
        message = REASSIGN_REFUSALS.get(refused.code, N_("The task could not be reassigned."))
        return await web_errors.back_with_refusal(request, session, refused, back, message=message)
    sessions.of(request).tell(N_("The task was reassigned."))
    return redirect(request, back)
