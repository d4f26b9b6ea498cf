"""Places 区划 (/regions): the administrator's county tree, renaming, adding and merging.

The same service calls as ``/api/v1/regions`` (``service/places/changes.py``, ``merges.py``).
A merge is irreversible, so it takes two steps: the form asks for the preview
(``GET /regions/merge``), which shows how many cases and users would move and, for a township,
the codes its villages would get; only its confirm button posts the merge. A refusal is shown
on the page in the user's language (422 or 409); a region outside the administrator's county
is the 404 page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth.models import ADMIN, User
from service.errors import ReliefError
from service.http.deps import SessionDep, WriteSessionDep
from service.places import changes, merges
from service.regions import service as regions_service
from service.web import errors as web_errors
from service.web import reasons, sessions
from service.web.deps import page_for
from service.web.i18n import N_
from service.web.templating import redirect, render

router = APIRouter()
Admin = Annotated[User, Depends(page_for(ADMIN))]
CodeField = Annotated[str, Form(max_length=12)]
NameField = Annotated[str, Form(max_length=200)]
CodeQuery = Annotated[str, Query(max_length=12)]

# Refusals the page shows in place are said in the catalogue's words (web/reasons.py); the
# page says more of these: a merged region, and the name of a place.
OWN_WORDS = {
    "region-merged": N_("That region was merged into another already; use its successor."),
    "name-length": N_("The name is 1 to 100 characters."),
    "text-control-character": N_("The name holds a character that cannot be stored."),
    "text-unpaired-surrogate": N_("The name holds a character that cannot be stored."),
}


async def _page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    refusal: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (county,) = await regions_service.tree(session, prefix=user.jurisdiction)
    context = {
        "county": county,
        "history": await regions_service.history(session, prefix=user.jurisdiction),
        "refusal": refusal,
        "values": {"parent": "", "number": "", "name": "", "source": "", "into": ""}
        | (values or {}),
    }
    return render(request, "regions.html", context, user=user, status_code=status_code)


def _said(request: Request, refused: ReliefError) -> str:
    """The page's words for a refusal (a message id), else the catalogue's (said already)."""
    return OWN_WORDS.get(refused.code) or reasons.say_error(refused, sessions.of(request).language)


async def _refused(
    request: Request,
    session: AsyncSession,
    writes: AsyncSession,
    user: User,
    refused: ReliefError,
    values: dict[str, str],
) -> Response:
    """The page again with the reason (422/409); a 404 or 403 is the error page."""
    if refused.status not in (409, 422):
        await audit_service.roll_back(writes)
        raise refused
    await web_errors.shown_in_place(request, writes, refused)
    message = _said(request, refused)
    return await _page(
        request, session, user, refusal=message, values=values, status_code=refused.status
    )


@router.get("/regions")
async def regions_page(request: Request, user: Admin, session: SessionDep) -> Response:
    """The county's townships and villages, forms to rename, add and merge, the history."""
    return await _page(request, session, user)


@router.post("/regions/add")
async def add(
    request: Request,
    user: Admin,
    session: SessionDep,
    writes: WriteSessionDep,
    parent: CodeField = "",
    number: Annotated[str, Form(max_length=3)] = "",
    name: NameField = "",
) -> Response:
    """A township under the county or a village under a township: the parent's code and a
    three-digit number make its code."""
    values = {"parent": parent, "number": number, "name": name}
    try:
        region = await changes.add_region(
            writes, code=parent + number.strip(), name=name, parent_code=parent, actor=user
        )
    except ReliefError as refused:
        return await _refused(request, session, writes, user, refused, values)
    sessions.of(request).tell(
        N_("Township added.") if region.level == "township" else N_("Village added.")
    )
    return redirect(request, "/regions")


@router.post("/regions/{code}/rename")
async def rename(
    request: Request,
    code: Annotated[str, Path(pattern=r"^\d{6,12}$")],
    user: Admin,
    session: SessionDep,
    writes: WriteSessionDep,
    name: NameField = "",
) -> Response:
    try:
        await changes.rename_region(writes, code=code, name=name, actor=user)
    except ReliefError as refused:
        return await _refused(request, session, writes, user, refused, {})
    sessions.of(request).tell(N_("Renamed."))
    return redirect(request, "/regions")


@router.get("/regions/merge")
async def merge_preview(
    request: Request,
    user: Admin,
    session: SessionDep,
    source: CodeQuery = "",
    into: CodeQuery = "",
) -> Response:
    """What the merge would move, and the button that does it."""
    values = {"source": source, "into": into}
    try:
        shown = await merges.preview(session, source=source, into=into, actor=user)
    except ReliefError as refused:
        if refused.status not in (409, 422):
            raise
        message = _said(request, refused)
        return await _page(
            request, session, user, refusal=message, values=values, status_code=refused.status
        )
    return render(request, "regions.html", {"preview": shown}, user=user)


@router.post("/regions/merge")
async def merge(
    request: Request,
    user: Admin,
    session: SessionDep,
    writes: WriteSessionDep,
    source: CodeField = "",
    into: CodeField = "",
) -> Response:
    """Merge, as confirmed on the preview."""
    values = {"source": source, "into": into}
    try:
        await merges.merge_region(writes, source=source, into=into, actor=user)
    except ReliefError as refused:
        return await _refused(request, session, writes, user, refused, values)
    sessions.of(request).tell(N_("Merged: its cases, tasks and people moved to the successor."))
    return redirect(request, "/regions")
