"""Flow versions: upload (validated), list and read; parsed once per process.

A version is immutable: its XML, its DMN decisions, who stored it and when. What happens to a
version after upload (activation, deletion) is ``lifecycle.py``; a deleted version stays as a
tombstone, which lists and reads no longer see.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth.models import ADMIN, User
from service.clock import utcnow
from service.config import get_settings
from service.engine import (
    FlowProblem,
    InvalidFlow,
    ParsedFlow,
    legacy_names,
    parse_flow,
    spec_cache,
    untimed_tasks,
)
from service.engine.markup import markup_problems
from service.engine.xml import parse_xml
from service.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from service.flows import diff_parts, rules
from service.flows.bindings import bindings_of, review_keys
from service.flows.models import FlowVersion
from service.flows.schemas import (
    FlowChanges,
    FlowSummary,
    FlowVersionRead,
    TaskOutline,
    VersionSummary,
)
from service.text import checked

_LARGE_COLUMNS = ("bpmn_xml", "decisions", "outline", "changes")


@dataclass(frozen=True)
class FlowFile:
    name: str
    content: bytes


MAX_DECISIONS = 9  # DMN files one flow upload may hold, besides its BPMN
NOTE_LENGTH = 500  # characters of the note kept with a version ("why this version")


def check_upload(bpmns: list[FlowFile], dmns: list[FlowFile], note: str | None) -> None:
    """The limits of an upload, the same for the API, the console and ``relief flows upload``:
    one BPMN, at most ``MAX_DECISIONS`` DMN files, each file non-empty and within
    ``RELIEF_MAX_FLOW_BYTES`` (callers read at most one byte past it), a note of at most
    ``NOTE_LENGTH`` characters."""
    if len(bpmns) != 1:
        raise InvalidInput("upload exactly one BPMN file", field="bpmn", code="flow-bpmn-count")
    if len(dmns) > MAX_DECISIONS:
        raise InvalidInput(
            f"a flow calls at most {MAX_DECISIONS} DMN files",
            field="dmn",
            code="flow-dmn-count",
            params={"limit": MAX_DECISIONS},
        )
    if note is not None and len(note) > NOTE_LENGTH:
        raise InvalidInput(
            f"the note is limited to {NOTE_LENGTH} characters",
            field="note",
            code="flow-note-too-long",
            params={"limit": NOTE_LENGTH},
        )
    limit = get_settings().max_flow_bytes
    for field, file in [("bpmn", bpmns[0]), *(("dmn", file) for file in dmns)]:
        if len(file.content) > limit:
            raise PayloadTooLarge(
                f"flow files are limited to {limit} bytes",
                code="file-too-large",
                params={"what": "flow files", "limit": limit},
            )
        if not file.content:
            raise InvalidInput("the file is empty", field=field, code="file-empty")


async def get_version(session: AsyncSession, version_id: int | None) -> FlowVersion:
    version = await session.get(FlowVersion, version_id) if version_id else None
    if version is None:
        raise NotFound(
            f"no flow version {version_id}",
            code="flow-version-not-found",
            params={"version_id": version_id},
        )
    return version


async def get_numbered(session: AsyncSession, key: str, number: int) -> FlowVersion:
    """Version ``number`` of ``key``; a deleted one is not found (its own code says so)."""
    statement = select(FlowVersion).where(FlowVersion.key == key, FlowVersion.version == number)
    version = (await session.exec(statement)).first()
    if version is None:
        raise NotFound(
            f"no version {number} of flow {key!r}",
            code="flow-version-number-not-found",
            params={"key": key, "number": number},
        )
    if version.deleted_at is not None:
        raise NotFound(
            f"version {number} of flow {key!r} was deleted",
            code="flow-version-deleted",
            params={"key": key, "number": number},
        )
    return version


async def parsed(session: AsyncSession, version_id: int) -> ParsedFlow:
    """The parsed spec of a flow version, from the cache when this process has seen it."""
    flow = spec_cache.cached(version_id)
    if flow is not None:
        return flow
    version = await get_version(session, version_id)
    return spec_cache.get(version_id, version.bpmn_xml, version.decisions)


# --- upload ------------------------------------------------------------------------------


def validate(bpmn: FlowFile, dmns: list[FlowFile], *, review_keys: set[str]) -> ParsedFlow:
    """Parse the files and apply the service's rules; raise InvalidFlow with every problem."""
    problems = []
    for file in (bpmn, *dmns):
        try:
            file.content.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(
                FlowProblem(
                    None,
                    "not well-formed XML: a flow file must be UTF-8 text",
                    file.name,
                    code="flow-file-not-utf8",
                    params={"file": file.name},
                )
            )
    names = [file.name for file in (bpmn, *dmns)]
    problems += [
        FlowProblem(
            None,
            "two uploaded files have this name",
            name,
            code="flow-file-name-twice",
            params={"file": name},
        )
        for name in sorted({n for n in names if names.count(n) > 1})
    ]
    if problems:
        raise InvalidFlow.of(problems)
    decisions = {file.name: file.content for file in dmns}
    markup = _markup([bpmn, *dmns])
    try:
        flow = parse_flow(
            bpmn.content,
            decisions,
            filename=bpmn.name,
            strict=False,
            rules=rules.convention_problems,
        )
    except InvalidFlow as error:
        if not markup:
            raise
        raise InvalidFlow.of([*markup, *error.problems]) from None
    return _checked(flow, filename=bpmn.name, review=flow.key in review_keys, markup=markup)


def _markup(files: list[FlowFile]) -> list[FlowProblem]:
    """Stylesheets, XHTML and other foreign markup in the files (engine.markup): refused, not
    removed, so a stored version is what was uploaded and what the console serves."""
    return [p.in_file(file.name) for file in files for p in markup_problems(file.content)]


def _checked(
    flow: ParsedFlow, *, filename: str, review: bool, markup: list[FlowProblem]
) -> ParsedFlow:
    """The engine's findings and the service's rules in one report (the rules never run an
    expression the sandbox refused: it does not compile)."""
    found = [p.in_file(filename) for p in rules.problems(flow, review_flow=review)]
    if markup or flow.problems or found:
        raise InvalidFlow.of([*markup, *flow.problems, *found])
    return flow


def _outline(flow: ParsedFlow) -> dict[str, Any]:
    return {
        "lanes": list(dict.fromkeys(name for _id, name in flow.lanes)),
        "tasks": [
            {
                "id": t.id,
                "name": t.name,
                "name_en": t.name_en,
                "lane": t.lane,
                "fields": {spec.name: spec.describe() for spec in t.fields},
            }
            for t in flow.user_tasks
        ],
        "decisions": list(flow.decisions),
        # User tasks with no timer on their boundary: the catalogue's time limit is their
        # deadline (service/deadlines), which the upload report names.
        "default_deadlines": list(untimed_tasks(flow.spec, flow.subprocess_specs)),
    }


async def outline_of(session: AsyncSession, version: FlowVersion) -> dict[str, Any]:
    """A version's outline; versions stored before outlines were kept are read once."""
    stored = version.outline
    # Outlines stored before tasks declared their data lack "fields", and before deadlines
    # defaulted lack "default_deadlines": read those again.
    if (
        stored is not None
        and "default_deadlines" in stored
        and all("fields" in task for task in stored.get("tasks", []))
    ):
        return stored
    assert version.id is not None
    return _outline(await parsed(session, version.id))


def _names(task: dict[str, Any]) -> tuple[str, str]:
    """A task's (Chinese, English) names in an outline; outlines stored before the names'
    convention hold one bilingual name, split by its legacy rule."""
    if "name_en" in task:
        return task["name"], task["name_en"]
    return legacy_names(task["name"] or "")


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Tasks and lanes added, removed, renamed and moved between two outlines."""
    old = {task["id"]: task for task in before["tasks"]}
    new = {task["id"]: task for task in after["tasks"]}
    both = [task_id for task_id in new if task_id in old]
    return FlowChanges(
        tasks_added=[task_id for task_id in new if task_id not in old],
        tasks_removed=[task_id for task_id in old if task_id not in new],
        tasks_removed_named=[
            {"id": t, "name": _names(old[t])[0] or "", "name_en": _names(old[t])[1] or ""}
            for t in old
            if t not in new
        ],
        tasks_renamed=[
            {
                "id": t,
                "before": _names(old[t])[0],
                "after": _names(new[t])[0],
                "before_en": _names(old[t])[1],
                "after_en": _names(new[t])[1],
            }
            for t in both
            if _names(old[t]) != _names(new[t])
        ],
        tasks_moved=[
            {"id": t, "before": old[t]["lane"], "after": new[t]["lane"]}
            for t in both
            if old[t]["lane"] != new[t]["lane"]
        ],
        lanes_added=[lane for lane in after["lanes"] if lane not in before["lanes"]],
        lanes_removed=[lane for lane in before["lanes"] if lane not in after["lanes"]],
    ).model_dump()


async def _changes(
    session: AsyncSession,
    previous: FlowVersion,
    outline: dict[str, Any],
    bpmn: FlowFile,
    decisions: dict[str, str] | None,
) -> dict[str, Any]:
    """What a new version changed against the previous one, as the flow list shows it: the
    outline's tasks and lanes, and how many elements the version diff (flows/diff.py) finds
    added, removed and changed (conditions, deadlines, decisions, fields, ends, scripts and
    timers included) and how many DMN files changed."""
    found = diff_parts.counts(
        previous.bpmn_xml.encode("utf-8"), bpmn.content, previous.decisions, decisions
    )
    return {**diff(await outline_of(session, previous), outline), **found}


async def _store(
    session: AsyncSession,
    flow: ParsedFlow,
    *,
    bpmn: FlowFile,
    dmns: list[FlowFile],
    actor: str,
    note: str | None,
) -> tuple[FlowVersion, bool]:
    existing = (
        await session.exec(
            select(FlowVersion).where(
                FlowVersion.key == flow.key, FlowVersion.sha256 == flow.sha256
            )
        )
    ).first()
    if existing is not None and existing.deleted_at is not None:
        raise Conflict(
            f"this content was version {existing.version} of {flow.key!r}, since deleted;"
            " change the flow to store it again",
            code="flow-content-deleted",
            params={"key": flow.key, "number": existing.version},
        )
    if existing is not None:
        return existing, False
    latest = select(FlowVersion).where(FlowVersion.key == flow.key)
    latest = latest.order_by(col(FlowVersion.version).desc()).limit(1)
    # Numbers count deleted versions too (never given twice); changes are against a live one.
    last = (await session.exec(latest)).first()
    previous = (await session.exec(latest.where(col(FlowVersion.deleted_at).is_(None)))).first()
    outline = _outline(flow)
    decisions = {file.name: file.content.decode("utf-8") for file in dmns} or None
    version = FlowVersion(
        key=flow.key,
        version=(last.version if last else 0) + 1,
        bpmn_xml=bpmn.content.decode("utf-8"),
        sha256=flow.sha256,
        uploaded_by=actor,
        uploaded_at=utcnow(),
        note=note,
        decisions=decisions,
        outline=outline,
        changes=await _changes(session, previous, outline, bpmn, decisions) if previous else None,
    )
    session.add(version)
    await session.flush()
    return version, True


async def ensure_version(
    session: AsyncSession, *, content: bytes, actor: str, review: bool = False
) -> tuple[FlowVersion, bool]:
    """Store a shipped flow (the catalogue) as the next version of its key, or find it."""
    bpmn = FlowFile("catalogue.bpmn", content)
    parsed_flow = parse_flow(
        content, filename=bpmn.name, strict=False, rules=rules.convention_problems
    )
    flow = _checked(parsed_flow, filename=bpmn.name, review=review, markup=_markup([bpmn]))
    return await _store(session, flow, bpmn=bpmn, dmns=[], actor=actor, note=None)


def record_act(
    session: AsyncSession,
    action: str,
    *,
    user: User | None,
    actor_name: str | None,
    **fields: Any,
) -> None:
    """An administrator's (or the command line's) act on flows, in the trail."""
    audit_service.record(
        session,
        action=action,
        actor=user,
        actor_name=actor_name,
        role=ADMIN if user else None,
        **fields,
    )


async def upload(
    session: AsyncSession,
    *,
    bpmns: list[FlowFile],
    dmns: list[FlowFile],
    note: str | None,
    user: User | None,
    actor_name: str | None = None,
) -> tuple[FlowVersion, bool]:
    """Validate and store an uploaded flow; identical content returns the stored version."""
    check_upload(bpmns, dmns, note)
    note = checked(note, field="note") if note is not None else None
    bpmn = bpmns[0]
    keys = await review_keys(session)
    # End the read: on SQLite a write session's transaction holds the database's write lock,
    # and no writer should wait while a file is checked.
    await session.commit()
    # Parsing and the sandbox's checks are CPU work: off the event loop, so a hostile file
    # slows its own request only.
    flow = await anyio.to_thread.run_sync(partial(validate, bpmn, dmns, review_keys=keys))
    actor = user.username if user else actor_name or "system"
    version, created = await _store(session, flow, bpmn=bpmn, dmns=dmns, actor=actor, note=note)
    if created:
        record_act(
            session,
            "flow_uploaded",
            user=user,
            actor_name=actor_name,
            after={
                "key": version.key,
                "version": version.version,
                "sha256": version.sha256,
                "files": [
                    {"name": file.name, "bytes": len(file.content)} for file in (bpmn, *dmns)
                ],
                "changes": version.changes,
            },
            comment=note,
        )
    await audit_service.commit(session)
    if created:
        # Only once committed: a rolled-back row's id may be given to another version.
        assert version.id is not None
        spec_cache.put(version.id, flow)
    return version, created


_BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"


def refused_diagram(content: bytes) -> str | None:
    """The text of a refused BPMN file when a viewer can draw it, to show the refusal's
    elements on it: UTF-8, well-formed and DTD-free (the same hardened parser as uploads),
    with a diagram (``bpmndi:BPMNDiagram``). None for anything else. Nothing is stored."""
    try:
        text = content.decode("utf-8")
        root = parse_xml(content)
    except (UnicodeDecodeError, InvalidFlow):
        return None
    if root.find(f".//{{{_BPMNDI}}}BPMNDiagram") is None:
        return None
    return text


# --- reading -----------------------------------------------------------------------------


async def read_version(
    session: AsyncSession, version: FlowVersion, *, created: bool = False
) -> FlowVersionRead:
    outline = await outline_of(session, version)
    bindings = (await bindings_of(session)).get(version.key, [])
    tasks_by_lane: dict[str, list[str]] = defaultdict(list)
    for task in outline["tasks"]:
        tasks_by_lane[task["lane"] or ""].append(task["id"])
    return FlowVersionRead(
        key=version.key,
        version=version.version,
        sha256=version.sha256,
        uploaded_by=version.uploaded_by,
        uploaded_at=version.uploaded_at,
        note=version.note,
        decisions=outline["decisions"],
        lanes=outline["lanes"],
        tasks=[TaskOutline(**task) for task in outline["tasks"]],
        tasks_by_lane=dict(tasks_by_lane),
        changes=FlowChanges(**version.changes) if version.changes else None,
        active=any(binding.active_id == version.id for binding in bindings),
        programs=sorted({binding.program.code for binding in bindings}),
        created=created,
        default_deadlines=outline.get("default_deadlines", []),
        activated_at=version.activated_at,
    )


async def list_flows(session: AsyncSession) -> list[FlowSummary]:
    # The XML stays in the database: a listing reads only the columns it shows.
    statement = (
        select(FlowVersion)
        .options(*(defer(getattr(FlowVersion, name)) for name in _LARGE_COLUMNS))
        .where(col(FlowVersion.deleted_at).is_(None))
        .order_by(col(FlowVersion.key), col(FlowVersion.version))
    )
    rows = [
        (v.id, v.key, v.version, v.sha256, v.uploaded_by, v.uploaded_at, v.note)
        for v in (await session.exec(statement)).all()
    ]
    bindings = await bindings_of(session)
    versions: dict[str, list[VersionSummary]] = defaultdict(list)
    active: dict[str, int | None] = {}
    for version_id, key, number, sha256, uploaded_by, uploaded_at, note in rows:
        is_active = any(binding.active_id == version_id for binding in bindings.get(key, []))
        if is_active:
            active[key] = number
        versions[key].append(
            VersionSummary(
                version=number,
                sha256=sha256,
                uploaded_by=uploaded_by,
                uploaded_at=uploaded_at,
                note=note,
                active=is_active,
            )
        )
    return [
        FlowSummary(
            key=key,
            latest_version=found[-1].version,
            active_version=active.get(key),
            programs=sorted({binding.program.code for binding in bindings.get(key, [])}),
            versions=found,
        )
        for key, found in versions.items()
    ]


async def version_changes(session: AsyncSession) -> dict[tuple[str, int], FlowChanges | None]:
    """What each stored version changed against the previous one, by (key, version): the
    flow list shows it beside each version (only these columns are read)."""
    statement = select(FlowVersion.key, FlowVersion.version, FlowVersion.changes).where(
        col(FlowVersion.deleted_at).is_(None)
    )
    return {
        (key, number): FlowChanges(**changes) if changes else None
        for key, number, changes in (await session.exec(statement)).all()
    }
