"""The flow editor: bpmn-js's Modeler in the console (/flows/{key}/edit, /flows/new).

The page carries the BPMN to edit (a version's, or a shipped flow's as a template under a new
key) in a read-only textarea; static/js/modeler.js draws it, offers only the elements the
service runs, and edits what our flows need in a side panel. As the admin works it asks
``POST /flows/validate`` (the checks of ``POST /api/v1/flows/validate``, answered in the
page's language) and marks the problems on the drawing. Saving posts the drawing and a note
to ``POST /flows/{key}/edit``: a new version (flows_service.upload, with the base version's
DMN files), never an overwrite; a refusal answers the problems and the drawing stays.

The editor's two posts answer JSON (the page's script shows it); a refusal is 422 with
``problems`` [{element, file, reason, code, params, english}] said in the page's language.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from service.auth.models import ADMIN, LANE_ROLES, User
from service.config import get_settings
from service.engine import InvalidFlow
from service.engine.names import DEFAULT_DECISIONS
from service.errors import Conflict, NotFound, ReliefError
from service.flows import editor
from service.flows import service as flows_service
from service.flows.service import FlowFile
from service.http.deps import SessionDep, WriteSessionDep
from service.http.flow_body import read_flow_body
from service.http.params import MAX_ID
from service.http.uploads import read_flow_file
from service.web import i18n, reasons, sessions
from service.web.deps import page_for
from service.web.flows import problems_in_words
from service.web.i18n import N_
from service.web.templating import render
from service.web.vocabulary import term

router = APIRouter()
Admin = Annotated[User, Depends(page_for(ADMIN))]
KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$"
FlowKey = Annotated[str, Path(pattern=KEY_PATTERN)]
# The end statuses a flow's end events name (end_<status>), as the console says them.
END_STATUSES = ("paid", "enrolled", "rejected", "revoked", "ended")


def _editor_context(
    language: str, *, key: str, base: int | None, xml: str, template: str = ""
) -> dict[str, Any]:
    gettext = i18n.translations(language).gettext
    return {
        "key": key,
        "base": base,
        "xml": xml,
        "template": template,
        "roles": [(role, gettext(term("role", role))) for role in LANE_ROLES],
        "decisions": [(d.code, f"{d.name_zh} | {d.name_en}") for d in DEFAULT_DECISIONS],
        "statuses": [(status, gettext(term("status", status))) for status in END_STATUSES],
        "note_limit": flows_service.NOTE_LENGTH,
        "max_flow_bytes": get_settings().max_flow_bytes,
    }


@router.get("/flows/{key}/edit")
async def edit_page(
    request: Request,
    key: FlowKey,
    user: Admin,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The modeler on the active version of the flow (or ``?version=n``)."""
    number = version or await _active_or_latest(session, key)
    stored = await flows_service.get_numbered(session, key, number)
    context = _editor_context(
        sessions.of(request).language, key=key, base=number, xml=stored.bpmn_xml
    )
    return render(request, "flow_editor.html", context, user=user)


async def _active_or_latest(session: SessionDep, key: str) -> int:
    for flow in await flows_service.list_flows(session):
        if flow.key == key:
            numbers = [v.version for v in flow.versions]
            active = [v.version for v in flow.versions if v.active]
            return (active or numbers or [0])[-1]
    raise NotFound(f"no flow {key!r}", code="page-not-found")


@router.get("/flows/new")
async def new_page(
    request: Request,
    user: Admin,
    session: SessionDep,
    template: Annotated[str, Query(max_length=100)] = "",
    key: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Choose a shipped flow as a template and a new key; then the modeler on its copy."""
    templates = editor.templates()
    language = sessions.of(request).language
    error, status = "", 200
    if template or key:
        if not re.fullmatch(KEY_PATTERN, key):
            error, status = _say(language, KEY_RULE), 422
        elif await editor.key_taken(session, key):
            # Said here, before any drawing: a save under a taken key is refused (409), and
            # the editor cannot change its key.
            taken = Conflict("flow key taken", code="flow-key-exists", params={"key": key})
            error, status = reasons.say_error(taken, language), 409
        else:
            xml = editor.template_xml(template)
            (chosen,) = [t for t in templates if t.name == template]
            context = _editor_context(
                language, key=key, base=None, xml=_renamed(xml, chosen.key, key), template=template
            )
            return render(request, "flow_editor.html", context, user=user)
    context = {"templates": templates, "chosen": template, "key": key, "error": error}
    return render(request, "flow_new.html", context, user=user, status_code=status)


KEY_RULE = N_("A flow key starts with a letter and holds letters, digits and _ . -")


def _say(language: str, message: str) -> str:
    return i18n.translations(language).gettext(message)


def _renamed(xml: str, old: str, new: str) -> str:
    """The template's process (and its references) under the new key."""
    pattern = re.compile(r'\b(id|processRef|bpmnElement)="' + re.escape(old) + '"')
    return pattern.sub(lambda m: f'{m.group(1)}="{new}"', xml)


@router.post("/flows/validate")
async def validate(request: Request, user: Admin, session: SessionDep) -> Response:
    """The editor's live check: {valid, problems} in the page's language, storing nothing."""
    language = sessions.of(request).language
    try:
        body = await read_flow_body(request)
        if len(body.bpmns) != 1:
            flows_service.check_upload(body.bpmns, body.dmns, None)
        dmns = body.dmns or await _base_decisions(session, body.fields)
        found = await editor.check(session, bpmn=body.bpmns[0], dmns=dmns)
    except ReliefError as error:  # an unreadable file, a limit: as on upload
        return _refusal(error, language)
    problems = problems_in_words(InvalidFlow.of(found), language) if found else []
    return JSONResponse({"valid": not found, "problems": problems})


async def _base_decisions(session: SessionDep, fields: dict[str, str]) -> list[FlowFile]:
    """The DMN files of the version the drawing started from (the form's key and base), so
    its business rule tasks resolve as they will when it is saved."""
    key, base = fields.get("key", ""), fields.get("base", "")
    if not re.fullmatch(KEY_PATTERN, key) or not base.isdigit() or not 0 < int(base) <= MAX_ID:
        return []
    return await editor.base_decisions(session, key, int(base))


def _refusal(error: ReliefError, language: str) -> JSONResponse:
    if isinstance(error, InvalidFlow):
        problems = problems_in_words(error, language)
    else:
        said = reasons.say_error(error, language)
        problems = [
            {
                "element": None,
                "file": None,
                "reason": said,
                "code": error.code,
                "params": dict(error.params),
                "english": False,
            }
        ]
    body = {"valid": False, "problems": problems, "message": problems[0]["reason"]}
    return JSONResponse(body, status_code=error.status)


@router.post("/flows/{key}/edit")
async def save(
    request: Request,
    key: FlowKey,
    user: Admin,
    writes: WriteSessionDep,
    bpmn: Annotated[UploadFile, File()],
    note: Annotated[str, Form(max_length=5000)] = "",
    base: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Store the drawing as a new version of the flow, with its note; answers where it is
    ({"location"}), or 422 with every problem (nothing stored, the drawing stays)."""
    language = sessions.of(request).language
    try:
        drawing = await read_flow_file(bpmn, default=f"{key}.bpmn")
        version, created = await editor.save(
            writes, key=key, base=base, bpmn=drawing, note=note, user=user
        )
    except ReliefError as error:
        await writes.rollback()
        return _refusal(error, language)
    message = N_("Flow version stored.") if created else N_("This flow is already stored.")
    sessions.of(request).tell(message)
    response = JSONResponse({"location": f"/flows/{version.key}/versions/{version.version}"})
    sessions.save(request, response)  # the message is shown on the version's page
    return response
