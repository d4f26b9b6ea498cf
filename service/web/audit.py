"""The auditor's trail search, chain status and exports (/audit).

The same reads as ``/api/v1/audit``: ``queries.list_events`` for the page (keyset pages by
the last id), ``audit_service.verify`` for the chain (only when asked: it reads the whole
county chain), ``exports.export`` for the files (each export is audited).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from service.audit import exports, queries
from service.audit import service as audit_service
from service.audit.models import AuditEvent
from service.auth.models import AUDITOR, User
from service.config import get_settings
from service.errors import InvalidInput
from service.http import downloads, refusals
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import MAX_ID
from service.masking import mask_numbers_in
from service.web import i18n, labels, sessions
from service.web.deps import page_for
from service.web.errors import TITLES
from service.web.filters import REGION, Search, date_range
from service.web.i18n import N_
from service.web.templating import render
from service.web.vocabulary import TERMS, term

router = APIRouter()
Auditor = Annotated[User, Depends(page_for(AUDITOR))]
PAGE_SIZE = 100
# What a before→after summary shows of an event's state, the first key both sides know.
SUMMARY_KEYS = ("status", "kind", "decision", "roles", "flow", "task")
# The vocabulary (web/vocabulary.py) that names the codes under each of those keys.
_VOCABULARY = {"status": "status", "kind": "document", "decision": "decision", "roles": "role"}
_NAME = re.compile(r"^\S{1,64}$")
_CODE = re.compile(r"^[a-z_]{1,40}$")


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the office's time zone: the dates an office means."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(get_settings().timezone))


def _text_errors(values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    case_id = values["application_id"]
    if case_id and not (case_id.isdigit() and 1 <= int(case_id) <= MAX_ID):
        errors["application_id"] = N_("Enter a case number.")
    if values["actor"] and not _NAME.match(values["actor"]):
        errors["actor"] = N_("Enter a user name without spaces.")
    for name in ("role", "action"):
        if values[name] and not _CODE.match(values[name]):
            errors[name] = N_("Choose a value from the list.")
    if values["region"] and not REGION.match(values["region"]):
        errors["region"] = N_("Enter 6 to 12 digits of a region code.")
    return errors


def _window(
    values: dict[str, str], errors: dict[str, str]
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The dates as instants: from the first day's midnight to the midnight after the last
    (office time); a date that cannot be read gets a message in ``errors``."""
    first, last = date_range(values, errors)
    since = _day_start(first) if first else None
    until = _day_start(last + dt.timedelta(days=1)) if last else None
    return since, until


def search(
    application_id: Annotated[str, Query(max_length=20)] = "",
    actor: Annotated[str, Query(max_length=64)] = "",
    role: Annotated[str, Query(max_length=40)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
) -> Search[queries.EventFilter]:
    """Read the filters; a value that cannot be a filter gets a message beside its field."""
    values = {
        "application_id": application_id.strip(),
        "actor": actor.strip(),
        "role": role.strip(),
        "action": action.strip(),
        "region": region.strip(),
        "from": from_.strip(),
        "to": to.strip(),
    }
    errors = _text_errors(values)
    case_id = (
        int(values["application_id"])
        if values["application_id"] and not errors.get("application_id")
        else None
    )
    since, until = _window(values, errors)
    query = queries.EventFilter(
        application_id=case_id,
        actor=values["actor"] or None,
        role=values["role"] or None,
        action=values["action"] or None,
        region=values["region"] or None,
        since=since,
        until=until,
    )
    return Search(values, query, errors)


SearchDep = Annotated[Search[queries.EventFilter], Depends(search)]


def summary(event: AuditEvent) -> tuple[str, Any, Any] | None:
    """A short before→after of the event: (key, before, after) of its status, kind…"""
    before, after = event.before or {}, event.after or {}
    for key in SUMMARY_KEYS:
        if key in before or key in after:
            # As the API reads the trail: masked again, never deeper than a page can show.
            return key, mask_numbers_in(before.get(key)), mask_numbers_in(after.get(key))
    return None


def _shown(key: str, value: Any, gettext: Callable[[str], str]) -> str:
    """One side of a change in the page's language: a code through the vocabulary, a list of
    codes (roles) joined, anything else as stored; nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    kind = _VOCABULARY.get(key)
    if isinstance(value, list):
        return "、".join(_shown(key, item, gettext) for item in value)
    if kind is not None and isinstance(value, str):
        return gettext(term(kind, value))
    return str(value)


def change(event: AuditEvent, gettext: Callable[[str], str]) -> str:
    """What the change column shows: before → after through the vocabulary; for a refused
    action, the refusal's title (409: changed meanwhile, 403: not allowed)."""
    if event.action == refusals.ACTION:
        status = (event.after or {}).get("status")
        title = TITLES.get(status) if isinstance(status, int) else None
        return gettext(title) if title else ""
    found = summary(event)
    if found is None:
        return ""
    key, before, after = found
    return f"{_shown(key, before, gettext)} → {_shown(key, after, gettext)}"


async def _chain(session: SessionDep, user: User) -> dict[str, Any]:
    report = await audit_service.verify(session, counties=[user.county])
    return dict(report.__dict__)


@router.get("/audit")
async def audit_page(
    request: Request,
    user: Auditor,
    session: SessionDep,
    filters: SearchDep,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE_SIZE,
    verify: Annotated[str, Query(pattern="^(|1)$")] = "",
) -> Response:
    """The trail in the auditor's jurisdiction, oldest first, a page at a time."""
    # ``limit`` as the API's: a link may ask for longer (or shorter) pages; the next keeps it.
    more = {"limit": limit} if limit != PAGE_SIZE else {}
    events: list[AuditEvent] = []
    next_cursor = None
    if not filters.errors:
        query = replace(filters.query, after_id=cursor, limit=limit)
        page = await queries.list_events(session, user=user, query=query)
        events, next_cursor = page.items, page.next_cursor
    chain = await _chain(session, user) if verify else None
    gettext = i18n.translations(sessions.of(request).language).gettext
    context = {
        "events": events,
        "changes": {event.id: change(event, gettext) for event in events},
        "search": filters,
        "filters": filters.values,
        "errors": filters.errors,
        "next_link": f"/audit?{filters.link(**more, cursor=next_cursor)}" if next_cursor else None,
        "first_link": f"/audit?{filters.link(**more)}" if cursor else None,
        "csv_link": f"/audit/events.csv?{filters.link()}",
        "xlsx_link": f"/audit/events.xlsx?{filters.link()}",
        "verify_link": f"/audit?{filters.link(verify=1)}",
        "roles": list(TERMS["role"]),
        "actions": list(TERMS["action"]),
        "labels": await labels.load(session, sessions.of(request).language),
        "chain": chain,
    }
    status = 422 if filters.errors else 200
    return render(request, "audit.html", context, user=user, status_code=status)


@router.get("/audit/verify")
async def verify_fragment(request: Request, user: Auditor, session: SessionDep) -> Response:
    """The chain's status as a fragment (the page's "Verify the chain" button, by htmx)."""
    chain = await _chain(session, user)
    return render(request, "_audit_chain.html", {"chain": chain}, user=user)


def _file(export: exports.Export) -> StreamingResponse:
    return downloads.streamed_attachment(export.chunks, export.media_type, export.filename)


async def _export(
    user: User,
    session: SessionDep,
    writes: WriteSessionDep,
    filters: Search[queries.EventFilter],
    format_: str,
) -> StreamingResponse:
    if filters.errors:
        raise InvalidInput(
            "the filter is not valid; correct it on the audit page", code="audit-filter-invalid"
        )
    chosen: exports.Format = "csv" if format_ == "csv" else "xlsx"
    return _file(
        await exports.export(session, writes, user=user, query=filters.query, format_=chosen)
    )


@router.get("/audit/events.csv", dependencies=[Depends(sessions.from_this_site)])
async def export_csv(
    user: Auditor, session: SessionDep, writes: WriteSessionDep, filters: SearchDep
) -> StreamingResponse:
    """The filtered trail as CSV (UTF-8 with BOM), streamed; the export is audited."""
    return await _export(user, session, writes, filters, "csv")


@router.get("/audit/events.xlsx", dependencies=[Depends(sessions.from_this_site)])
async def export_xlsx(
    user: Auditor, session: SessionDep, writes: WriteSessionDep, filters: SearchDep
) -> StreamingResponse:
    """The filtered trail as xlsx, streamed; the export is audited."""
    return await _export(user, session, writes, filters, "xlsx")
