"""The caseworker's pages: the submission form (/applications/new), the correction of a
returned case (/applications/{id}/edit), and a case's documents (upload, download).

Forms use flat field names (``applicant_id_number``, ``bank_card``); the handlers build the
API's bodies (ApplicationCreate, ApplicationEdit) from them and call the same services as
``service.applications.router``. Input errors come back beside their fields, in the form.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import corrections, views
from service.applications import service as applications_service
from service.applications.models import Application
from service.applications.schemas import (
    CASEWORKER_DOCUMENT_KINDS,
    EVENT_KINDS,
    ApplicationCreate,
    ApplicationDetail,
    ApplicationEdit,
    Relation,
)
from service.audit import service as audit_service
from service.auth.models import CASEWORKER, User, acting_roles
from service.config import get_settings
from service.errors import InvalidInput, ReliefError
from service.http import downloads
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import PathId
from service.http.uploads import read_limited, safe_filename
from service.programs import service as programs_service
from service.programs.models import Program
from service.regions import jurisdiction
from service.regions import service as regions_service
from service.web import errors as web_errors
from service.web import labels, reasons, sessions, timeline
from service.web.deps import PageUser, page_for
from service.web.i18n import N_
from service.web.templating import redirect, render

router = APIRouter()
Caseworker = Annotated[User, Depends(page_for(CASEWORKER))]

RELATIONS = get_args(Relation)  # the schema's own list, in its order
TEXT_FIELDS = (
    "program", "village", "applicant_name", "applicant_id_number", "relation", "spouse_name",
    "spouse_id_number", "bank_card", "phone", "event_kind", "event_date", "child_birth_date",
)  # fmt: skip
FLAGS = ("certificate_holder", "two_daughters_sterilised")
# The caseworker's confirmation (submission only): the household is a family-planning family
# and they saw the originals; the programs that require it refuse a submission without it.
CONFIRMATION = "family_planning_confirmed"


# --- form ⇄ body ---------------------------------------------------------------------------


async def _form_values(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = form.get(name)
        values[name] = value.strip()[:200] if isinstance(value, str) else ""
    for name in FLAGS:
        values[name] = form.get(name) is not None  # a checkbox is sent only when ticked
    values["remove_spouse"] = form.get("remove_spouse") is not None
    values[CONFIRMATION] = form.get(CONFIRMATION) is not None
    return values


def _given(**fields: Any) -> dict[str, Any]:
    """The fields the form filled in; an empty input is a missing field, not an empty one."""
    return {name: value for name, value in fields.items() if value not in ("", None)}


def _create_body(values: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = _given(
        program=values["program"],
        village=values["village"],
        relation=values["relation"],
        applicant=_given(name=values["applicant_name"], id_number=values["applicant_id_number"]),
        household=_given(
            bank_card=values["bank_card"],
            phone=values["phone"],
            certificate_holder=values["certificate_holder"],
            two_daughters_sterilised=values["two_daughters_sterilised"],
        ),
        event=_given(kind=values["event_kind"], date=values["event_date"]),
    )
    if values["spouse_name"] or values["spouse_id_number"]:
        body["spouse"] = _given(name=values["spouse_name"], id_number=values["spouse_id_number"])
    body[CONFIRMATION] = values[CONFIRMATION]
    # The only child's birth date, where a program's table reads the child's age (独生子女父母
    # 奖励金: until 18); kept with the case's details.
    if values["child_birth_date"]:
        body["child_birth_date"] = values["child_birth_date"]
    return body


def _form_field(location: str) -> str | None:
    """The form field of a body location: ``household.bank_card`` → ``bank_card``."""
    parts = [part for part in location.split(".") if part != "household"]
    name = "_".join(parts[:2])
    return name if name in TEXT_FIELDS or name in FLAGS or name == CONFIRMATION else None


def _errors_of(
    problem: ValidationError | ReliefError, language: str, names: labels.Labels | None = None
) -> tuple[dict[str, str], str | None]:
    """Messages by form field, and the one for the top of the form (no field or unknown), in
    the page's language from each error's code and params (never the English message)."""
    errors: dict[str, str] = {}
    top: list[str] = []
    if isinstance(problem, ValidationError):
        found = [
            (".".join(str(part) for part in error["loc"]), error["msg"], dict(error))
            for error in problem.errors()
        ]
    else:
        found = [
            (str(e.get("field") or ""), str(e.get("message", "")), e)
            for e in problem.extra.get("errors", [])
        ]
    for location, english, entry in found:
        named, _, rest = english.removeprefix("Value error, ").partition(": ")
        if not location and rest and _form_field(named):  # a model check: "spouse.id_number: …"
            location = named
        field = _form_field(location)
        message = reasons.say_field({**entry, "loc": location.split(".")}, language, names)
        if field is None:
            top.append(message)
        else:
            errors.setdefault(field, message)
    if not found and isinstance(problem, ReliefError):
        top.append(reasons.say_error(problem, language, names))
    return errors, (" " if language == "en" else "").join(dict.fromkeys(top)) or None


async def _said(
    request: Request, session: AsyncSession, problem: ValidationError | ReliefError
) -> tuple[dict[str, str], str | None]:
    """``_errors_of`` in the session's language, programs and villages named."""
    language = sessions.of(request).language
    return _errors_of(problem, language, await labels.load(session, language))


async def _refused(
    request: Request, session: AsyncSession, problem: ValidationError | ReliefError
) -> int:
    """Undo the failed command and record a refusal as the problem handler would; the
    status for the re-rendered form. Other refusals (403, 404) get the error page."""
    if isinstance(problem, ReliefError) and problem.status not in (409, 422):
        raise problem
    if isinstance(problem, ValidationError):
        await audit_service.roll_back(session)
        return 422
    await web_errors.shown_in_place(request, session, problem)
    return problem.status


# --- the submission form --------------------------------------------------------------------


async def _choices(session: AsyncSession, user: User) -> dict[str, Any]:
    """Active programs and the villages of the user's jurisdiction, for the selects."""
    programs = await programs_service.open_programs(session)
    villages = await regions_service.villages_within(session, user.jurisdiction)
    return {
        "programs": {program.code: program for program in programs},
        "villages": [(village.code, village.name) for village in villages],
        "relations": RELATIONS,
        "event_kinds": EVENT_KINDS,
        # The programs whose cases the caseworker confirms as family-planning families.
        "confirming": [program.code for program in programs if program.confirms_family_planning],
    }


def _documents_needed(
    programs: dict[str, Program], program: str, event_kind: str
) -> tuple[list[str], list[str], list[tuple[str, list[str]]]] | None:
    """The kinds the program requires for the event, those a named spouse adds, and those
    each claim of the household adds (a ticked priority group needs its proof)."""
    chosen = programs.get(program)
    if chosen is None or event_kind not in chosen.event_kinds:
        return None
    alone = programs_service.required_documents(chosen, has_spouse=False, event_kind=event_kind)
    couple = programs_service.required_documents(chosen, has_spouse=True, event_kind=event_kind)
    by_claim = [
        (claim, [kind for kind in kinds if kind not in alone])
        for claim, kinds in (chosen.documents.get("by_claim") or {}).items()
        if claim in FLAGS
    ]
    return (
        alone,
        [kind for kind in couple if kind not in alone],
        [(claim, kinds) for claim, kinds in by_claim if kinds],
    )


async def _new_form(
    request: Request,
    session: AsyncSession,
    user: User,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Response:
    choices = await _choices(session, user)
    context = {
        **choices,
        "labels": await labels.load(session, sessions.of(request).language),
        "values": values,
        "errors": errors or {},
        "form_error": form_error,
        "needed": _documents_needed(choices["programs"], values["program"], values["event_kind"]),
    }
    return render(request, "new.html", context, user=user, status_code=status_code)


@router.get("/applications/new")
async def new_form(
    request: Request,
    user: Caseworker,
    session: SessionDep,
    program: Annotated[str, Query(max_length=64)] = "",
    event_kind: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The empty form; ``program`` and ``event_kind`` preselect (the required-documents note
    is refreshed through this page when they change)."""
    values: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "") | dict.fromkeys(FLAGS, False)
    values.update(program=program, event_kind=event_kind, relation="parent")
    values[CONFIRMATION] = False
    choices = await _choices(session, user)
    if len(choices["villages"]) == 1:  # a village caseworker: their village
        values["village"] = choices["villages"][0][0]
    return await _new_form(request, session, user, values)


@router.post("/applications/new")
async def submit(request: Request, user: Caseworker, session: WriteSessionDep) -> Response:
    values = await _form_values(request)
    try:
        body = ApplicationCreate.model_validate(_create_body(values))
        submitted = await applications_service.submit(
            session, user=user, body=body, idempotency_key=None
        )
    except (ValidationError, ReliefError) as problem:
        status = await _refused(request, session, problem)
        errors, top = await _said(request, session, problem)
        return await _new_form(
            request, session, user, values, errors=errors, form_error=top, status_code=status
        )
    sessions.of(request).tell(N_("Application submitted"))
    return redirect(request, f"/applications/{submitted.case.id}")


# --- correcting a returned case -------------------------------------------------------------


def _edit_values(case: ApplicationDetail) -> dict[str, Any]:
    """The case's current values; personal numbers are masked in the view, so their inputs
    start empty (left empty, they keep the stored number)."""
    return {
        "applicant_name": case.applicant.name,
        "applicant_id_number": "",
        "relation": case.relation,
        "spouse_name": case.spouse.name if case.spouse else "",
        "spouse_id_number": "",
        "bank_card": "",
        "phone": "",
        "certificate_holder": case.household.certificate_holder,
        "two_daughters_sterilised": case.household.two_daughters_sterilised,
        "event_kind": case.event.kind,
        "event_date": case.event.date.isoformat(),
        "remove_spouse": False,
    }


def _edit_body(values: dict[str, Any], case: ApplicationDetail) -> dict[str, Any]:
    """Only what the user changed or typed in; an empty number input keeps the stored one."""
    body: dict[str, Any] = {
        "relation": values["relation"] or None,
        "household": _given(
            bank_card=values["bank_card"],
            phone=values["phone"],
            certificate_holder=values["certificate_holder"],
            two_daughters_sterilised=values["two_daughters_sterilised"],
        ),
        "event": _given(kind=values["event_kind"], date=values["event_date"]),
    }
    if values["applicant_id_number"] or values["applicant_name"] != case.applicant.name:
        body["applicant"] = _given(
            name=values["applicant_name"], id_number=values["applicant_id_number"]
        )
    current_spouse = case.spouse.name if case.spouse else ""
    if values["remove_spouse"]:
        body["spouse"] = None
    elif values["spouse_id_number"] or values["spouse_name"] != current_spouse:
        body["spouse"] = _given(name=values["spouse_name"], id_number=values["spouse_id_number"])
    return body


def _keep_stored_numbers(stored: Application, body: dict[str, Any]) -> None:
    """A renamed applicant or spouse keeps the stored ID number when none was typed: the
    API's correction takes a person whole (name and number). The number never reaches the
    page."""
    applicant, spouse = body.get("applicant"), body.get("spouse")
    if applicant is not None and "id_number" not in applicant:
        applicant["id_number"] = stored.applicant_id_number
    if spouse is not None and "id_number" not in spouse and stored.spouse_id_number:
        spouse["id_number"] = stored.spouse_id_number


async def _edit_form(
    request: Request,
    session: AsyncSession,
    user: User,
    case: ApplicationDetail,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "case": case,
        "labels": await labels.load(session, sessions.of(request).language),
        "values": values,
        "errors": errors or {},
        "form_error": form_error,
        "relations": RELATIONS,
        "event_kinds": EVENT_KINDS,
        "correctable": await applications_service.waits_on_caseworker(session, case.id),
    }
    return render(request, "edit.html", context, user=user, status_code=status_code)


@router.get("/applications/{application_id}/edit")
async def edit_form(
    request: Request, application_id: PathId, user: Caseworker, session: SessionDep
) -> Response:
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    detail = await views.detail(session, case)
    return await _edit_form(request, session, user, detail, _edit_values(detail))


@router.post("/applications/{application_id}/edit")
async def correct(
    request: Request, application_id: PathId, user: Caseworker, session: WriteSessionDep
) -> Response:
    values = await _form_values(request)
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    before = await views.detail(session, case)  # the form shows these if the correction fails
    try:
        body = _edit_body(values, before)
        _keep_stored_numbers(case, body)
        edit = ApplicationEdit.model_validate(body)
        await corrections.correct(session, user=user, application_id=application_id, edit=edit)
    except (ValidationError, ReliefError) as problem:
        status = await _refused(request, session, problem)
        errors, top = await _said(request, session, problem)
        return await _edit_form(
            request, session, user, before, values, errors=errors, form_error=top,
            status_code=status,
        )  # fmt: skip
    sessions.of(request).tell(N_("Application corrected"))
    return redirect(request, f"/applications/{application_id}")


# --- documents ------------------------------------------------------------------------------


async def documents_context(
    session: AsyncSession, user: User, case: ApplicationDetail
) -> dict[str, Any]:
    """What ``_documents.html`` needs, for the case page and for this module's answers."""
    return {
        "case": case,
        "may_upload": CASEWORKER in acting_roles(user)
        and await applications_service.waits_on_caseworker(session, case.id),
        "document_kinds": CASEWORKER_DOCUMENT_KINDS,
        "upload_error": None,
        # The timeline names the document added: the upload's answer swaps it too (htmx
        # out of band); the case page sets timeline_oob False and shows it in its place.
        "timeline_oob": True,
    } | await timeline.context(session, case)


@router.post("/applications/{application_id}/documents")
async def add_document(
    request: Request,
    application_id: PathId,
    user: Caseworker,
    session: WriteSessionDep,
    kind: Annotated[str, Form(max_length=40)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Attach a document as ``POST /api/v1/applications/{id}/documents`` does; an htmx request
    gets the documents section back, a plain form post the case page."""
    back = f"/applications/{application_id}"
    htmx = bool(request.headers.get("HX-Request"))
    try:
        if kind not in CASEWORKER_DOCUMENT_KINDS:
            raise InvalidInput(
                "choose the kind of document", field="kind", code="document-kind-required"
            )
        if file is None or not file.filename:
            raise InvalidInput("choose a file to upload", field="file", code="file-required")
        limit = get_settings().max_upload_bytes
        content = await read_limited(file, limit=limit, field="file", what="documents")
        await applications_service.add_document(
            session,
            user=user,
            application_id=application_id,
            kind=kind,
            filename=safe_filename(file.filename, "document"),
            content=content,
        )
        error = None
    except InvalidInput as invalid:
        error = reasons.say_error(invalid, sessions.of(request).language)
    if not htmx:
        if error:
            sessions.of(request).tell(error, "error")
        else:
            sessions.of(request).tell(N_("Document uploaded"))
        return redirect(request, back + "#documents")
    case = await jurisdiction.get_visible(session, user=user, application_id=application_id)
    context = await documents_context(session, user, await views.detail(session, case))
    context["upload_error"] = error
    return render(request, "_documents.html", context, user=user, status_code=422 if error else 200)


@router.get("/applications/{application_id}/documents/{document_id}")
async def download(
    application_id: PathId, document_id: PathId, user: PageUser, session: SessionDep
) -> Response:
    """A document's file, for anyone who may see the case (others: 404)."""
    document, path = await applications_service.document_file(
        session, user=user, application_id=application_id, document_id=document_id
    )
    return FileResponse(
        path,
        media_type=document.content_type,
        headers={
            "Content-Disposition": downloads.disposition(document.filename),
            "Cache-Control": "private, no-store",  # personal papers stay out of caches
        },
    )
