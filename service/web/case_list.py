"""The case list and search 案件查询 (``/applications``): every case inside the user's
jurisdiction, found by number, applicant's name, the last digits of the ID number, place,
program, status and submission dates.

The same read as ``GET /api/v1/applications`` (``applications_service.list_cases``): newest
first, keyset pages by the last id. Names are searched as stored and shown masked; the ID
number is never shown beyond what the user typed (the page echoes the suffix, nothing more).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import col, select

from service.applications import service as applications_service
from service.applications import views
from service.applications.models import Application
from service.auth.models import AUDITOR, LANE_ROLES, User
from service.http.deps import SessionDep
from service.http.params import MAX_ID
from service.masking import mask_name
from service.regions.models import Region
from service.web import labels, sessions
from service.web.deps import page_for
from service.web.filters import REGION, Search, date_range
from service.web.i18n import N_
from service.web.templating import render

router = APIRouter()
# Those who work on cases, and the auditors who read them.
CASE_READERS = (*LANE_ROLES, AUDITOR)
CaseReader = Annotated[User, Depends(page_for(*CASE_READERS))]
PAGE_SIZE = 50
# The statuses a case can be in, in the order a case passes them.
CASE_STATUSES = (
    "in_progress", "returned", "notice", "held", "approved", "paid", "enrolled", "ended",
    "rejected", "withdrawn", "revoked",
)  # fmt: skip
_NUMBER = re.compile(r"^#?\s*(\d{1,10})$")
_ID_SUFFIX = re.compile(applications_service.ID_SUFFIX)


def _number(text: str, errors: dict[str, str]) -> int | None:
    match = _NUMBER.match(text)
    if text and not (match and 1 <= int(match.group(1)) <= MAX_ID):
        errors["number"] = N_("Enter a case number.")
        return None
    return int(match.group(1)) if match else None


def search(
    number: Annotated[str, Query(max_length=20)] = "",
    name: Annotated[str, Query(max_length=100)] = "",
    id_suffix: Annotated[str, Query(max_length=20)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    program: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=32)] = "",
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
) -> Search[applications_service.CaseQuery]:
    """Read the filters; a value that cannot be a filter gets a message beside its field."""
    values = {
        "number": number.strip(),
        "name": " ".join(name.split()),
        "id_suffix": id_suffix.strip(),
        "region": region.strip(),
        "program": program.strip(),
        "status": status.strip(),
        "from": from_.strip(),
        "to": to.strip(),
    }
    errors: dict[str, str] = {}
    case_number = _number(values["number"], errors)
    if values["id_suffix"] and not _ID_SUFFIX.match(values["id_suffix"]):
        errors["id_suffix"] = N_("Enter the last 4 to 6 digits of the ID number.")
    if values["region"] and not REGION.match(values["region"]):
        errors["region"] = N_("Choose a place from the list.")
    if values["status"] and values["status"] not in CASE_STATUSES:
        errors["status"] = N_("Choose a value from the list.")
    first, last = date_range(values, errors)
    query = applications_service.CaseQuery(
        number=case_number,
        name=values["name"] or None,
        id_suffix=values["id_suffix"] or None,
        region=values["region"] or None,
        program=values["program"] or None,
        status=values["status"] or None,
        submitted_from=first,
        submitted_to=last,
    )
    return Search(values, query, errors)


SearchDep = Annotated[Search[applications_service.CaseQuery], Depends(search)]


async def _places(session: SessionDep, user: User) -> list[Region]:
    """The townships and villages of the user's jurisdiction (current ones), in code order."""
    statement = (
        select(Region)
        .where(
            col(Region.code).startswith(user.jurisdiction),
            col(Region.code) != user.jurisdiction,
            col(Region.merged_into).is_(None),
        )
        .order_by(col(Region.code))
    )
    return list((await session.exec(statement)).all())


@dataclass(frozen=True)
class Row:
    """A result as the page shows it: never the full name or any ID number."""

    id: int
    name: str
    program: str
    village: str
    status: str
    submitted_at: dt.datetime
    tasks: list[Any]


async def _rows(session: SessionDep, cases: list[Application]) -> list[Row]:
    tasks = await views.open_tasks(session, [case.id for case in cases if case.id is not None])
    return [
        Row(
            id=case.id or 0,
            name=mask_name(case.applicant_name),
            program=case.program_code,
            village=case.village_code,
            status=case.status,
            submitted_at=case.created_at,
            tasks=tasks.get(case.id or 0, []),
        )
        for case in cases
    ]


@router.get("/applications")
async def case_list(
    request: Request,
    user: CaseReader,
    session: SessionDep,
    filters: SearchDep,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Cases in the user's jurisdiction, newest first, a page at a time."""
    rows: list[Row] = []
    next_cursor = None
    if not filters.errors:
        query = filters.query
        query.cursor, query.limit = cursor, PAGE_SIZE + 1
        cases = await applications_service.list_cases(session, user=user, query=query)
        if len(cases) > PAGE_SIZE:
            cases = cases[:PAGE_SIZE]
            next_cursor = cases[-1].id
        rows = await _rows(session, cases)
    context = {
        "rows": rows,
        "filters": filters.values,
        "errors": filters.errors,
        "searched": any(filters.values.values()),
        "places": await _places(session, user),
        "statuses": CASE_STATUSES,
        "labels": await labels.load(session, sessions.of(request).language),
        "next_link": f"/applications?{filters.link(cursor=next_cursor)}" if next_cursor else None,
        "first_link": f"/applications?{filters.link()}" if cursor else None,
    }
    status = 422 if filters.errors else 200
    return render(request, "applications.html", context, user=user, status_code=status)
