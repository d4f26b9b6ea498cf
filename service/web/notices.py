"""Public notices 公示 and the objection form (/public/notices), and the yearly list of
recipients (/public/recipients). Anyone may open them, without logging in.

The pages show exactly what the public API answers: both build their masked pages with
``service.notices.public``, so the page and GET /api/v1/public/… cannot drift apart and no
other data source adds a number the API masks. An objection goes through the same service as
POST /api/v1/public/notices/{id}/objections (size and per-address limits included).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.applications import objections
from service.audit import service as audit_service
from service.auth.models import User
from service.clock import local_today
from service.config import get_settings
from service.errors import InvalidInput
from service.http.deps import SessionDep, WriteSessionDep
from service.http.params import Cursor, PathId
from service.notices import public
from service.notices.schemas import ObjectionCreate
from service.web import labels, sessions
from service.web.deps import MaybeUser
from service.web.i18n import N_
from service.web.templating import redirect, render

router = APIRouter()

DEFAULT_COUNTY = "130123"
PAGE_SIZE = 100
YEARS_SHOWN = 10  # the recipients page offers this year and the nine before it

CountyParam = Annotated[str, Query(pattern=r"^(\d{6})?$")]
TownshipParam = Annotated[str, Query(pattern=r"^(\d{9})?$")]
# What the form says beside a field the service or the API's schema refused.
FIELD_MESSAGES = {
    "text": N_("Say what is wrong, in at most %(max)d characters."),
    "contact": N_("The contact is too long."),
}


def _counties(names: labels.Labels) -> list[str]:
    return sorted(code for code in names.regions if len(code) == 6)


def _county_or_default(county: str, names: labels.Labels) -> str:
    if county:
        return county
    counties = _counties(names)
    return counties[0] if counties else DEFAULT_COUNTY


def _townships(names: labels.Labels, county: str) -> list[str]:
    return sorted(code for code in names.regions if len(code) == 9 and code.startswith(county))


def _link(path: str, **params: str | int | None) -> str:
    """``path`` with the parameters that have a value."""
    query = {key: value for key, value in params.items() if value not in ("", None)}
    return f"{path}?{urlencode(query)}" if query else path


def _more_url(cursor: int | None, **params: str | int | None) -> str | None:
    """The next page's query, when there is one."""
    return None if cursor is None else _link("", **params, after=cursor)


async def _notices_page(
    request: Request,
    session: AsyncSession,
    user: User | None,
    *,
    county: str,
    township: str,
    after: int | None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    names = await labels.load(session, sessions.of(request).language)
    county = _county_or_default(county, names)
    page = await public.notice_page(
        session, county=county, township=township or None, after=after, limit=PAGE_SIZE
    )
    context = {
        "view": "notices",
        "labels": names,
        "counties": _counties(names),
        "townships": _townships(names, county),
        "county": county,
        "township": township,
        "notices": page.items,
        "next_cursor": page.next_cursor,
        "more_url": _more_url(page.next_cursor, county=county, township=township),
        "max_chars": get_settings().objection_max_chars,
        # The objection form that was refused: which notice, what was typed, what is wrong.
        "form": form or {"notice_id": None, "text": "", "contact": "", "errors": {}},
    }
    return render(request, "notices.html", context, user=user, status_code=status_code)


@router.get("/public/notices")
async def notices(
    request: Request,
    user: MaybeUser,
    session: SessionDep,
    county: CountyParam = "",
    township: TownshipParam = "",
    after: Cursor = None,
) -> Response:
    """The cases on notice in a county (or one township), masked as the public API shows them,
    each with a form to object."""
    return await _notices_page(
        request, session, user, county=county, township=township, after=after
    )


@router.post("/public/notices/{notice_id}/objections")
async def raise_objection(
    request: Request,
    notice_id: PathId,
    user: MaybeUser,
    session: WriteSessionDep,
    text: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
    county: Annotated[str, Form(pattern=r"^(\d{6})?$")] = "",
    township: Annotated[str, Form(pattern=r"^(\d{9})?$")] = "",
) -> Response:
    """举报: checked by the API's schema and the objection service; a refused field comes back
    beside the form (422), too many from one address is the 429 page (Retry-After)."""
    address = request.client.host if request.client else "unknown"
    try:
        body = ObjectionCreate(text=text, contact=contact or None)
        given = objections.ObjectionInput(text=body.text, contact=body.contact, address=address)
        await objections.receive_with_retry(session, notice_id=notice_id, given=given)
    except (InvalidInput, ValidationError) as refused:
        await audit_service.roll_back(session)
        form = {
            "notice_id": notice_id,
            "text": text,
            "contact": contact,
            "errors": {field: FIELD_MESSAGES[field] for field in _refused_fields(refused)},
        }
        return await _notices_page(
            request,
            session,
            user,
            county=county,
            township=township,
            after=None,
            form=form,
            status_code=422,
        )
    sessions.of(request).tell(N_("Your objection was received; the county will check it."))
    return redirect(request, _link("/public/notices", county=county, township=township))


def _refused_fields(refused: InvalidInput | ValidationError) -> set[str]:
    if isinstance(refused, ValidationError):
        fields = {str(error["loc"][0]) for error in refused.errors() if error["loc"]}
    else:
        fields = {str(error.get("field")) for error in refused.extra.get("errors", [])}
    shown = fields & FIELD_MESSAGES.keys()
    return shown or {"text"}


@router.get("/public/recipients")
async def recipients(
    request: Request,
    user: MaybeUser,
    session: SessionDep,
    county: CountyParam = "",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    program: Annotated[str, Query(max_length=64)] = "",
    after: Cursor = None,
) -> Response:
    """Who received a benefit in a county and year (奖扶/特扶 公开), masked as the public API
    shows them."""
    names = await labels.load(session, sessions.of(request).language)
    county = _county_or_default(county, names)
    this_year = local_today().year
    year = year or this_year
    page = await public.recipient_page(
        session, county=county, year=year, program=program or None, after=after, limit=PAGE_SIZE
    )
    years = list(range(this_year, this_year - YEARS_SHOWN, -1))
    if year not in years:
        years.append(year)
    context = {
        "view": "recipients",
        "labels": names,
        "counties": _counties(names),
        "county": county,
        "year": year,
        "years": years,
        "program": program,
        "recipients": page.items,
        "more_url": _more_url(page.next_cursor, county=county, year=year, program=program),
    }
    return render(request, "notices.html", context, user=user)
