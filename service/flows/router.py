"""Flow administration: upload, list, read, download and activate BPMN flow versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, File, Form, Path, Query, Request, Response, UploadFile

from service.auth.dependencies import require_roles
from service.auth.models import ADMIN, AUDITOR, User
from service.errors import NotFound
from service.flows import editor, lifecycle, version_diff
from service.flows import service as flows_service
from service.flows.schemas import (
    Activation,
    ActivationRead,
    FlowCheck,
    FlowDiff,
    FlowProblemRead,
    FlowSummary,
    FlowVersionRead,
)
from service.http import downloads, problems
from service.http.deps import SessionDep, WriteSessionDep
from service.http.flow_body import read_flow_body
from service.http.params import MAX_ID
from service.http.uploads import read_flow_file

router = APIRouter(
    prefix="/flows", tags=["flows"], responses=problems.responses(401, 403, 404, 422)
)
Admin = Annotated[User, Depends(require_roles(ADMIN))]
Reader = Annotated[User, Depends(require_roles(ADMIN, AUDITOR))]
# A BPMN process id is an XML NCName; this is the subset a modeler writes.
FlowKey = Annotated[str, Path(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "",
    response_model=FlowVersionRead,
    status_code=201,
    responses={
        200: {"model": FlowVersionRead, "description": "identical content: the stored version"},
        **problems.responses(409, 413, 422),
    },
)
async def upload_flow(
    user: Admin,
    session: WriteSessionDep,
    response: Response,
    bpmn: Annotated[list[UploadFile], File(description="the BPMN file (one executable process)")],
    dmn: Annotated[
        list[UploadFile] | None, File(description="DMN decisions its business rule tasks call")
    ] = None,
    note: Annotated[
        str | None, Form(description="why this version (at most 500 characters)")
    ] = None,
) -> FlowVersionRead:
    """Validate and store a flow as the next version of its key (the BPMN process id).

    Refused with 422 and every problem found (element, file, reason); a refused upload stores
    nothing. Uploading identical content again returns the stored version (200).
    """
    # A form can repeat a field: every file is passed on, so a second BPMN is refused, not
    # dropped without a word. The limits are the service's (flows_service.check_upload).
    bpmn_files = [await read_flow_file(file, default="flow.bpmn") for file in bpmn]
    dmn_files = [await read_flow_file(file, default="decision.dmn") for file in dmn or []]
    version, created = await flows_service.upload(
        session, bpmns=bpmn_files, dmns=dmn_files, note=note or None, user=user
    )
    if not created:
        response.status_code = 200
    return await flows_service.read_version(session, version, created=created)


@router.get("", response_model=list[FlowSummary])
async def list_flows(user: Reader, session: SessionDep) -> list[FlowSummary]:
    """Every flow key with its versions, which one is active and the programs using it."""
    return await flows_service.list_flows(session)


@router.get("/{key}/versions/{number}", response_model=FlowVersionRead)
async def get_version(
    key: FlowKey, number: VersionNumber, user: Reader, session: SessionDep
) -> FlowVersionRead:
    """A version's metadata: lanes, tasks by lane, decisions and what changed."""
    version = await flows_service.get_numbered(session, key, number)
    return await flows_service.read_version(session, version)


@router.get("/{key}/diff", response_model=FlowDiff)
async def diff_versions(
    key: FlowKey,
    user: Reader,
    session: SessionDep,
    from_number: Annotated[int | None, Query(alias="from", ge=1, le=MAX_ID)] = None,
    to_number: Annotated[int | None, Query(alias="to", ge=1, le=MAX_ID)] = None,
) -> FlowDiff:
    """What changed from version ``from`` to version ``to`` of a flow, element by element:
    added, removed and changed elements named with their lanes, and per attribute what changed
    (name, lane, deadline with the catalogue's days, decisions, fields one by one, end status,
    outgoing flows with their conditions and targets, scripts, timers by their task) and the
    decision tables (DMN) the versions carry. ``to`` defaults to the latest version, ``from``
    to the version before ``to``; a version compared with itself (or a first version with
    nothing) lists no change. A version not stored is 404."""
    return await version_diff.version_diff(
        session, key, from_number=from_number, to_number=to_number
    )


def _xml(text: str, filename: str) -> Response:
    return downloads.attachment(text.encode("utf-8"), "application/xml", filename)


@router.get(
    "/{key}/versions/{number}/bpmn",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "the BPMN as uploaded"}},
)
async def download_bpmn(
    key: FlowKey, number: VersionNumber, user: Reader, session: SessionDep
) -> Response:
    """The version's BPMN exactly as uploaded, to open in a modeler."""
    version = await flows_service.get_numbered(session, key, number)
    return _xml(version.bpmn_xml, f"{key}.v{number}.bpmn")


@router.get(
    "/{key}/versions/{number}/dmn/{name}",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "a DMN as uploaded"}},
)
async def download_dmn(
    key: FlowKey,
    number: VersionNumber,
    name: Annotated[str, Path(max_length=100)],
    user: Reader,
    session: SessionDep,
) -> Response:
    """One DMN file of the version, by the file name it was uploaded with."""
    version = await flows_service.get_numbered(session, key, number)
    text = (version.decisions or {}).get(name)
    if text is None:
        raise NotFound(
            f"version {number} of {key!r} has no DMN file {name!r}",
            code="flow-dmn-not-found",
            params={"key": key, "number": number, "name": name},
        )
    return _xml(text, name)


@router.post(
    "/{key}/versions/{number}/activate",
    response_model=ActivationRead,
    responses=problems.responses(409, 422),
)
async def activate(
    key: FlowKey,
    number: VersionNumber,
    user: Admin,
    session: WriteSessionDep,
    body: Annotated[Activation | None, Body()] = None,
) -> ActivationRead:
    """Make this version the one new cases of its program start on; running cases keep
    the version they started with. Activating the active version changes nothing."""
    return await lifecycle.activate(
        session,
        key=key,
        number=number,
        program_code=body.program if body else None,
        user=user,
    )


@router.delete(
    "/{key}/versions/{number}",
    status_code=204,
    response_class=Response,
    responses=problems.responses(409),
)
async def delete_version(
    key: FlowKey, number: VersionNumber, user: Admin, session: WriteSessionDep
) -> Response:
    """Delete a version no program ever used (a draft): its number is never given again and
    the trail keeps what it was. An activated version can only be superseded (409)."""
    await lifecycle.delete_version(session, key=key, number=number, user=user)
    return Response(status_code=204)


@router.post(
    "/validate",
    response_model=FlowCheck,
    responses=problems.responses(413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["bpmn"],
                        "properties": {
                            "bpmn": {"type": "string", "format": "binary"},
                            "dmn": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            },
                        },
                    }
                },
                "application/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def validate_flow(request: Request, user: Admin, session: SessionDep) -> FlowCheck:
    """Check a flow as an upload would, storing nothing: 200 with ``valid`` and every problem
    (element, file, reason, code, params). The body is an upload's form (``bpmn``, any
    ``dmn``) or the BPMN as the raw body. Files no element of which can be named (not XML, a
    DTD) are refused as on upload (422); a file over the limit is 413."""
    body = await read_flow_body(request)
    if len(body.bpmns) != 1:
        flows_service.check_upload(body.bpmns, body.dmns, None)  # refused: exactly one BPMN
    found = await editor.check(session, bpmn=body.bpmns[0], dmns=body.dmns)
    return FlowCheck(
        valid=not found, problems=[FlowProblemRead(**problem.as_dict()) for problem in found]
    )
