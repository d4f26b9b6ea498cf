"""Flow administration: versions, diagrams, uploads and activation (/flows).

The same service calls as ``/api/v1/flows``: ``list_flows``, ``read_version``, ``upload``
(files bounded by ``RELIEF_MAX_FLOW_BYTES`` as the API reads them) and ``activate``. A refused
upload is shown with every problem (element, reason) and, when the file can be drawn, its
diagram with those elements marked; the refused file is kept nowhere, the page carries it.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import ADMIN, User
from service.config import get_settings
from service.engine import InvalidFlow, parse_field
from service.errors import InvalidInput, PayloadTooLarge
from service.flows import lifecycle
from service.flows import service as flows_service
from service.http import downloads
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import MAX_ID
from service.http.uploads import read_flow_file
from service.web import diagrams, i18n, labels, reasons, sessions
from service.web.deps import page_for
from service.web.i18n import N_
from service.web.templating import redirect, render
from service.web.vocabulary import term

router = APIRouter()
Admin = Annotated[User, Depends(page_for(ADMIN))]
FlowKey = Annotated[str, Path(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_ID)]
# The upload limits flows_service.check_upload refuses, in the page's words beside the field.
FIELD_MESSAGES = {
    "flow-note-too-long": ("note", N_("The note is limited to 500 characters.")),
    "flow-dmn-count": ("dmn", N_("Too many DMN files for one flow.")),
}


async def _list_context(request: Request, session: AsyncSession) -> dict[str, Any]:
    return {
        "flows": await flows_service.list_flows(session),
        "labels": await labels.load(session, sessions.of(request).language),
        "changes": await flows_service.version_changes(session),
        "max_flow_bytes": get_settings().max_flow_bytes,
        "max_decisions": flows_service.MAX_DECISIONS,
    }


def _upload_form(note: str = "", errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"note": note, "field_errors": errors or {}}


@router.get("/flows")
async def flows_page(request: Request, user: Admin, session: SessionDep) -> Response:
    """Every flow key, its versions, which one is active; the upload form."""
    context = {
        **await _list_context(request, session),
        "form": _upload_form(),
        "refusal": None,
    }
    return render(request, "flows.html", context, user=user)


@router.post("/flows/upload")
async def upload(
    request: Request,
    user: Admin,
    session: SessionDep,
    writes: WriteSessionDep,
    bpmn: Annotated[UploadFile | None, File()] = None,
    dmn: Annotated[list[UploadFile] | None, File()] = None,
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Store a flow as the next version of its key (POST /api/v1/flows); a refusal shows the
    list page again (422) with every problem, on the file's diagram when it can be drawn."""
    note = note.strip()
    # A file input left empty still sends a part, with no name and no bytes.
    decision_files = [file for file in dmn or [] if file.filename]
    errors: dict[str, str] = {}
    if bpmn is None or not bpmn.filename:
        errors["bpmn"] = N_("Choose the BPMN file.")
    if errors or bpmn is None:
        return await _refused(request, user, session, note, errors=errors)
    bpmn_file: flows_service.FlowFile | None = None
    try:
        bpmn_file = await read_flow_file(bpmn, default="flow.bpmn")
        dmn_files = [await read_flow_file(file, default="decision.dmn") for file in decision_files]
        version, created = await flows_service.upload(
            writes, bpmns=[bpmn_file], dmns=dmn_files, note=note or None, user=user
        )
    except InvalidFlow as error:
        await writes.rollback()
        diagram = None
        if bpmn_file is not None:
            diagram = await anyio.to_thread.run_sync(
                partial(flows_service.refused_diagram, bpmn_file.content)
            )
            if diagram is not None:
                language = sessions.of(request).language
                diagram = await anyio.to_thread.run_sync(diagrams.named, diagram, language)
        refusal = {
            "problems": problems_in_words(error, sessions.of(request).language),
            "xml": diagram,
            "filename": bpmn_file.name if bpmn_file else "",
        }
        return await _refused(request, user, session, note, refusal=refusal)
    except (InvalidInput, PayloadTooLarge) as error:
        await writes.rollback()
        if error.code in FIELD_MESSAGES:  # the service's limits, beside their fields
            field, message = FIELD_MESSAGES[error.code]
            return await _refused(request, user, session, note, errors={field: message})
        language = sessions.of(request).language
        field_errors = error.extra.get("errors") or [
            {"field": None, "code": error.code, "params": error.params}
        ]
        refusal = {
            "problems": [
                {
                    "element": None,
                    "file": item.get("field"),
                    "reason": reasons.say_field(item, language),
                    "english": False,
                }
                for item in field_errors
            ],
            "xml": None,
            "filename": "",
        }
        return await _refused(
            request, user, session, note, refusal=refusal, status_code=error.status
        )
    message = N_("Flow version stored.") if created else N_("This flow is already stored.")
    sessions.of(request).tell(message)
    return redirect(request, f"/flows/{version.key}/versions/{version.version}")


def problems_in_words(error: InvalidFlow, language: str) -> list[dict[str, Any]]:
    """The problems of a refused flow for the page, each said in the page's language from its
    code and params (service/web/reasons.py), with the element it names. A refusal with a
    code of its own (not well-formed XML, a DTD…) is that one sentence."""
    if error.code != "flow-refused":
        said = reasons.say_error(error, language)
        return [
            {
                "element": problem.element,
                "file": problem.file,
                "reason": said,
                "code": error.code,
                "params": dict(error.params),
                "english": False,
            }
            for problem in error.problems[:1]
        ]
    return [
        {
            **problem.as_dict(),
            "reason": reasons.say(problem.code, problem.params, language, status=422),
            "english": False,
        }
        for problem in error.problems
    ]


async def _refused(
    request: Request,
    user: User,
    session: AsyncSession,
    note: str,
    *,
    errors: dict[str, str] | None = None,
    refusal: dict[str, Any] | None = None,
    status_code: int = 422,
) -> Response:
    context = {
        **await _list_context(request, session),
        "form": _upload_form(note, errors),
        "refusal": refusal,
    }
    return render(request, "flows.html", context, user=user, status_code=status_code)


async def _version_context(
    request: Request, session: AsyncSession, key: str, number: int
) -> dict[str, Any]:
    version = await flows_service.get_numbered(session, key, number)
    language = sessions.of(request).language
    names = await labels.load(session, language)
    read = await flows_service.read_version(session, version)
    return {
        "version": read,
        "fields_in_words": {task.id: fields_in_words(task.fields, language) for task in read.tasks},
        "labels": names,
        "activation_error": None,
        "chosen_program": "",
    }


def fields_in_words(declared: dict[str, str], language: str) -> list[str]:
    """A task's declared fields as an administrator reads them: 银行转账流水号：一行参考号，
    批准时必填 — not the declaration's own words (``reference required``)."""
    gettext = i18n.translations(language).gettext
    shown = []
    for name, declaration in declared.items():
        spec = parse_field(name, declaration)
        words = [gettext(reasons.TYPES.get(spec.type, spec.type))]
        if spec.minimum is not None and spec.minimum != parse_field(name, spec.type).minimum:
            words.append(gettext("at least %(num)s") % {"num": _number(spec.minimum)})
        if spec.maximum is not None and spec.maximum != parse_field(name, spec.type).maximum:
            words.append(gettext("at most %(num)s") % {"num": _number(spec.maximum)})
        if spec.required:
            words.append(gettext("needed to approve"))
        separator = "，" if language != "en" else ", "
        colon = "：" if language != "en" else ": "
        shown.append(gettext(term("field", name)) + colon + separator.join(words))
    return shown


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@router.get("/flows/{key}/versions/{number}")
async def version_page(
    request: Request, key: FlowKey, number: VersionNumber, user: Admin, session: SessionDep
) -> Response:
    """A version: its diagram, lanes and tasks, what it changed, and activation."""
    context = await _version_context(request, session, key, number)
    return render(request, "flow_version.html", context, user=user)


@router.get("/flows/{key}/versions/{number}/bpmn")
async def version_bpmn(
    key: FlowKey, number: VersionNumber, user: Admin, session: SessionDep
) -> Response:
    """The version's BPMN exactly as uploaded (the diagram's source, and a download)."""
    version = await flows_service.get_numbered(session, key, number)
    return downloads.attachment(
        version.bpmn_xml.encode("utf-8"), "application/xml", f"{key}.v{number}.bpmn"
    )


@router.get("/flows/{key}/versions/{number}/diagram.bpmn")
async def version_diagram(
    request: Request, key: FlowKey, number: VersionNumber, user: Admin, session: SessionDep
) -> Response:
    """The diagram's source: the version's BPMN with names in the page's language and lanes
    by their role's name, served inert (``diagrams.shown``); …/bpmn is the file as uploaded."""
    version = await flows_service.get_numbered(session, key, number)
    return await diagrams.shown(version.bpmn_xml, sessions.of(request).language)


@router.post("/flows/{key}/versions/{number}/activate")
async def activate(
    request: Request,
    key: FlowKey,
    number: VersionNumber,
    user: Admin,
    session: SessionDep,
    writes: WriteSessionDep,
    program: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """New cases of the program start on this version (POST …/activate of the API); a flow
    that does not fit the program is shown again with the problems (422)."""
    try:
        result = await lifecycle.activate(
            writes, key=key, number=number, program_code=program or None, user=user
        )
    except InvalidFlow as error:
        await writes.rollback()
        context = await _version_context(request, session, key, number)
        context["activation_error"] = {
            "problems": problems_in_words(error, sessions.of(request).language),
        }
        context["chosen_program"] = program
        return render(request, "flow_version.html", context, user=user, status_code=422)
    if result.changed:
        sessions.of(request).tell(N_("Version activated: new cases start on it."))
    else:
        sessions.of(request).tell(N_("This version was already active."))
    return redirect(request, f"/flows/{key}/versions/{number}")


@router.post("/flows/{key}/versions/{number}/delete")
async def delete_version(
    request: Request, key: FlowKey, number: VersionNumber, user: Admin, writes: WriteSessionDep
) -> Response:
    """Delete a version no program ever used (DELETE … of the API); an activated one is
    refused (409, its reason on the error page)."""
    await lifecycle.delete_version(writes, key=key, number=number, user=user)
    sessions.of(request).tell(
        N_("Version %(num)s deleted; its number will not be used again."),
        params={"num": number},
    )
    return redirect(request, "/flows")
