"""The flow editor's service calls: live validation, saving a drawing, and the templates.

The console's modeler (``/flows/{key}/edit``, ``/flows/new``) and ``POST
/api/v1/flows/validate`` run exactly the checks of an upload (``flows_service.validate``,
after ``flows_service.check_upload``'s limits) but store nothing: ``check`` answers the
problems found, empty when the flow would be accepted. A file that cannot be read as a flow
at all (not well-formed XML, a DTD) is still refused as an upload refuses it (422), since no
element of it can be marked.

Saving from the editor stores a new version through ``flows_service.upload`` (never
overwriting one): the base version's DMN files travel with the drawing, so its business rule
tasks still resolve, and a note saying why is required.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import User
from service.engine import FlowProblem, InvalidFlow
from service.engine.xml import parse_xml
from service.errors import Conflict, InvalidInput, NotFound
from service.flows import bindings
from service.flows import service as flows_service
from service.flows.models import FlowVersion
from service.flows.service import FlowFile

WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / "workflows"
_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


async def check(
    session: AsyncSession, *, bpmn: FlowFile, dmns: list[FlowFile]
) -> list[FlowProblem]:
    """Every problem an upload of these files would be refused for; empty when it would be
    accepted. Limits (413, 422) and unreadable files (422) raise as on upload."""
    flows_service.check_upload([bpmn], dmns, None)
    # Not XML at all, or a DTD: the file as a whole is refused, with no element to mark.
    await anyio.to_thread.run_sync(parse_xml, bpmn.content)
    keys = await bindings.review_keys(session)
    try:
        await anyio.to_thread.run_sync(
            partial(flows_service.validate, bpmn, dmns, review_keys=keys)
        )
    except InvalidFlow as error:
        return error.problems
    return []


async def base_decisions(session: AsyncSession, key: str, number: int | None) -> list[FlowFile]:
    """The DMN files of the version a drawing started from (none for a new flow)."""
    if number is None:
        return []
    version = await flows_service.get_numbered(session, key, number)
    return [
        FlowFile(name, text.encode("utf-8")) for name, text in (version.decisions or {}).items()
    ]


def process_ids(content: bytes) -> list[str]:
    """The ids of the drawing's processes (its flow key), or [] when it is not readable XML
    (the upload's own checks then say why)."""
    return [key for key, _ in _processes(content)]


def _processes(content: bytes) -> list[tuple[str, str]]:
    """(id, name) of each process of the drawing that has an id."""
    try:
        root = parse_xml(content)
    except InvalidFlow:
        return []
    return [
        (str(p.get("id")), str(p.get("name") or ""))
        for p in root.iter(f"{{{_BPMN}}}process")
        if p.get("id")
    ]


async def key_taken(session: AsyncSession, key: str) -> bool:
    """Whether a flow of this key is stored (in any version): a new flow needs a key of its own."""
    exists = select(FlowVersion.id).where(col(FlowVersion.key) == key).limit(1)
    return (await session.exec(exists)).first() is not None


async def save(
    session: AsyncSession,
    *,
    key: str,
    base: int | None,
    bpmn: FlowFile,
    note: str,
    user: User,
) -> tuple[FlowVersion, bool]:
    """Store the drawing as the next version of ``key`` (``base``: the version it was drawn
    from, whose DMN files it keeps; None for a new flow, whose key must be new)."""
    note = note.strip()
    if not note:
        raise InvalidInput("say why in the note", field="note", code="flow-note-required")
    found = process_ids(bpmn.content)
    if found and key not in found:
        raise InvalidInput(
            f"the drawing's process id is {found[0]!r}, not the flow key {key!r}",
            field="bpmn",
            code="flow-key-mismatch",
            params={"key": key, "found": found[0]},
        )
    if base is None and await key_taken(session, key):
        raise Conflict(
            f"a flow {key!r} exists already: edit it instead",
            code="flow-key-exists",
            params={"key": key},
        )
    dmns = await base_decisions(session, key, base)
    return await flows_service.upload(session, bpmns=[bpmn], dmns=dmns, note=note, user=user)


@dataclass(frozen=True)
class Template:
    """A shipped flow a new one can start from."""

    name: str  # the file name under workflows/, without .bpmn
    key: str  # its process id
    title: str  # its process name (the flow's Chinese name), or the file name


def templates() -> list[Template]:
    """The shipped flows (workflows/*.bpmn), the starting points of a new flow."""
    found = []
    for path in sorted(WORKFLOWS_DIR.glob("*.bpmn")):
        processes = _processes(path.read_bytes())
        if processes:
            key, title = processes[0]
            found.append(Template(path.stem, key, title or path.stem))
    return found


def template_xml(name: str) -> str:
    """A template's BPMN text, by its name in ``templates()``."""
    for template in templates():
        if template.name == name:
            return (WORKFLOWS_DIR / f"{name}.bpmn").read_text(encoding="utf-8")
    raise NotFound(
        f"no flow template {name!r}", code="flow-template-not-found", params={"name": name}
    )
