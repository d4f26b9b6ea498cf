"""The console's people pages (administrators, /people) and every user's own password page
(/password).

The same service calls as ``/api/v1/people``. A one-time password (a new user, a reset, a
reactivation) is shown on the page that answers the form, once: it is never put in a
redirect, a cookie or the trail. A refusal shows the page again with the reason in the page's
language (by the problem's code; the API keeps its English detail).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth import accounts
from service.auth import service as auth_service
from service.auth.models import ADMIN, User
from service.auth.users import active_user
from service.config import get_settings
from service.errors import ReliefError
from service.http.deps import SessionDep, WriteSessionDep
from service.people import service as people_service
from service.regions.models import Region
from service.web import errors as web_errors
from service.web import reasons, sessions
from service.web.deps import PageUser, page_for
from service.web.i18n import N_
from service.web.templating import redirect, render

router = APIRouter()
Admin = Annotated[User, Depends(page_for(ADMIN))]
Username = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]+$")]
Text = Annotated[str, Form(max_length=2000)]

# A refusal is said in the catalogue's words (web/reasons.py); this page says more of one.
OWN_WORDS = {
    "reassign-target-cannot-act": N_(
        "That colleague may not act on every task this user holds (role, village or "
        "separation of duties); release the tasks to the inbox instead."
    ),
}
PASSWORDS_DIFFER = N_("The two new passwords differ.")


def _refusal(request: Request, refused: ReliefError) -> dict[str, Any]:
    """What the page says of a refusal, in the page's language: the reason of its code, and
    those of its field errors (a password's reasons)."""
    language = sessions.of(request).language
    own = OWN_WORDS.get(refused.code)
    field_errors = [
        error for error in refused.extra.get("errors", []) if error.get("code") != refused.code
    ]
    return {
        "message": own or reasons.say_error(refused, language),
        "reasons": reasons.say_all(field_errors, language),
    }


async def _regions(session: AsyncSession, user: User) -> dict[str, Any]:
    """The current regions of the administrator's jurisdiction (where users can work), and
    the name of every region there, merged ones included (a user may still be in one)."""
    statement = (
        select(Region)
        .where(col(Region.code).startswith(user.jurisdiction))
        .order_by(col(Region.code))
    )
    regions = (await session.exec(statement)).all()
    return {
        "regions": [region for region in regions if region.current],
        "region_names": {region.code: region.name for region in regions},
    }


async def _list_page(
    request: Request,
    user: User,
    session: AsyncSession,
    *,
    form: dict[str, Any] | None = None,
    refusal: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    actor = people_service.Actor(user)
    context = {
        "people": await people_service.list_people(session, actor=actor),
        **await _regions(session, user),
        "roles": accounts.ROLES,
        "form": form or {"roles": []},
        "refusal": refusal,
    }
    return render(request, "people.html", context, user=user, status_code=status_code)


@router.get("/people")
async def people_page(request: Request, user: Admin, session: SessionDep) -> Response:
    """The users of the administrator's county, and a form to add one."""
    return await _list_page(request, user, session)


@router.post("/people")
async def add_person(
    request: Request,
    user: Admin,
    session: SessionDep,
    writes: WriteSessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    jurisdiction: Annotated[str, Form(max_length=20)] = "",
    roles: Annotated[list[str] | None, Form(max_length=10)] = None,
) -> Response:
    try:
        change = await people_service.create(
            writes,
            actor=people_service.Actor(user),
            username=username.strip(),
            full_name=full_name,
            roles=roles or [],
            jurisdiction=jurisdiction,
        )
    except ReliefError as refused:
        await web_errors.shown_in_place(request, writes, refused)
        form: dict[str, Any] = {"username": username, "full_name": full_name}
        form |= {"jurisdiction": jurisdiction, "roles": roles or []}
        return await _list_page(
            request,
            user,
            session,
            form=form,
            refusal=_refusal(request, refused),
            status_code=refused.status,
        )
    return await _person_page(request, user, session, change.user.username, change=change)


async def _person_page(
    request: Request,
    user: User,
    session: AsyncSession,
    username: str,
    *,
    change: people_service.Change | None = None,
    refusal: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    actor = people_service.Actor(user)
    person = await people_service.get_person(session, actor=actor, username=username)
    colleagues = [
        other
        for other in await people_service.list_people(session, actor=actor, active=True)
        if other.id != person.id and set(other.roles) & set(person.roles)
    ]
    context = {
        "person": person,
        **await _regions(session, user),
        "roles": accounts.ROLES,
        "colleagues": colleagues,
        "change": change,
        "refusal": refusal,
        "own": person.id == user.id,
    }
    # A one-time password may be on it: no cache keeps it (every page is no-store).
    return render(request, "person.html", context, user=user, status_code=status_code)


@router.get("/people/{username}")
async def person_page(
    request: Request, username: Username, user: Admin, session: SessionDep
) -> Response:
    """One user: roles, region, state; forms to change them."""
    return await _person_page(request, user, session, username)


async def _act(
    request: Request,
    user: User,
    session: AsyncSession,
    writes: AsyncSession,
    username: str,
    work: Any,
    done: str,
) -> Response:
    """Run one change; show the person again with what it did, or why it was refused."""
    try:
        change = await work(people_service.Actor(user))
    except ReliefError as refused:
        if refused.status == 404:
            raise
        await web_errors.shown_in_place(request, writes, refused)
        return await _person_page(
            request,
            user,
            session,
            username,
            refusal=_refusal(request, refused),
            status_code=refused.status,
        )
    sessions.of(request).tell(done)
    if change.one_time_password is not None:
        return await _person_page(request, user, session, username, change=change)
    return redirect(request, f"/people/{username}")


@router.post("/people/{username}/update")
async def update_person(
    request: Request,
    username: Username,
    user: Admin,
    session: SessionDep,
    writes: WriteSessionDep,
    reason: Text = "",
    jurisdiction: Annotated[str, Form(max_length=20)] = "",
    roles: Annotated[list[str] | None, Form(max_length=10)] = None,
    hand_to: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Change roles, or move (a changed region), in one form."""

    async def work(actor: people_service.Actor) -> people_service.Change:
        person = await people_service.get_person(writes, actor=actor, username=username)
        if jurisdiction and jurisdiction != person.jurisdiction:
            return await people_service.move(
                writes,
                actor=actor,
                username=username,
                jurisdiction=jurisdiction,
                roles=roles or [],
                reason=reason,
                hand_to=hand_to or None,
            )
        return await people_service.change_roles(
            writes, actor=actor, username=username, roles=roles or [], reason=reason,
            hand_to=hand_to or None,
        )  # fmt: skip

    return await _act(request, user, session, writes, username, work, N_("The user was changed."))


# The account forms that take only a reason (and, to deactivate, whom the tasks go to): the
# service function each posts to, and what the page says when it is done.
ACCOUNT_ACTIONS: dict[str, tuple[Any, str]] = {
    "deactivate": (people_service.deactivate, N_("The user was deactivated.")),
    "reactivate": (people_service.reactivate, N_("The user was reactivated.")),
    "password-reset": (people_service.reset_password, N_("A one-time password was issued.")),
}
AccountAction = Annotated[str, Path(pattern="^(deactivate|reactivate|password-reset)$")]


@router.post("/people/{username}/{action}")
async def account_action(
    request: Request,
    username: Username,
    action: AccountAction,
    user: Admin,
    session: SessionDep,
    writes: WriteSessionDep,
    reason: Text = "",
    hand_to: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Deactivate (releasing or handing over the claimed tasks), reactivate, or reset the
    password of a user; the last two show the one-time password they issue."""
    function, done = ACCOUNT_ACTIONS[action]
    handing = {"hand_to": hand_to or None} if action == "deactivate" else {}

    async def work(actor: people_service.Actor) -> people_service.Change:
        change: people_service.Change = await function(
            writes, actor=actor, username=username, reason=reason, **handing
        )
        return change

    return await _act(request, user, session, writes, username, work, done)


# --- every user's own password -------------------------------------------------------------


def _password_context(refusal: dict[str, Any] | None) -> dict[str, Any]:
    return {"refusal": refusal, "password_min_length": get_settings().password_min_length}


@router.get("/password")
async def password_page(request: Request, user: PageUser) -> Response:
    """Change one's own password; the only page of a user whose password an administrator
    set, until they change it."""
    return render(request, "password.html", _password_context(None), user=user)


@router.post("/password")
async def change_password(
    request: Request,
    user: PageUser,
    web: sessions.WebSessionDep,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    repeated: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """The API's password change; this session goes on under the new password (every other
    session and token of the user ends)."""
    if new_password != repeated:
        refusal = {"message": PASSWORDS_DIFFER, "reasons": []}
        context = _password_context(refusal)
        return render(request, "password.html", context, user=user, status_code=422)
    address = request.client.host if request.client else "unknown"
    try:
        await auth_service.change_password(
            user, current_password=current_password, new_password=new_password, address=address
        )
    except ReliefError as refused:
        context = _password_context(_refusal(request, refused))
        return render(request, "password.html", context, user=user, status_code=refused.status)
    assert user.id is not None
    fresh = await active_user(user.id)
    if fresh is None:
        web.log_out()
        return redirect(request, "/login")
    web.log_in(fresh)
    web.tell(N_("Your password was changed."))
    return redirect(request, "/")
