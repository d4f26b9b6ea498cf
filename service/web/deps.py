"""Who is using the console: the logged-in user of the session, and page gates by role.

A page a role may not use answers 404, as a case outside the user's jurisdiction does: the
console does not tell anyone what exists beyond what they may see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from service.auth.dependencies import CALLER_SCOPE_KEY
from service.auth.models import ADMIN, AUDITOR, User, acting_roles
from service.auth.users import active_user
from service.errors import Forbidden, NotAuthenticated, NotFound
from service.web.sessions import WebSessionDep

# The pages a user whose password an administrator set may open before changing it.
OPEN_BEFORE_PASSWORD_CHANGE = frozenset({"/password", "/logout", "/language"})


class LoginRequired(NotAuthenticated):
    """No session, an expired one, or a user disabled or with a new password since."""


async def page_user(request: Request, session: WebSessionDep) -> User:
    if session.user_id is None:
        raise LoginRequired("log in to continue", code="login-required")
    user = await active_user(session.user_id)
    if user is None or not session.still_valid_for(user):
        session.log_out()
        raise LoginRequired("the session has ended; log in again", code="session-ended")
    request.scope[CALLER_SCOPE_KEY] = user  # refusals of this user are audited (http/refusals.py)
    if user.must_change_password and request.url.path not in OPEN_BEFORE_PASSWORD_CHANGE:
        # The error page sends them to /password (web/errors.py).
        raise Forbidden(
            "change the password an administrator set first", code="password-change-required"
        )
    return user


PageUser = Annotated[User, Depends(page_user)]


async def optional_user(request: Request, session: WebSessionDep) -> User | None:
    """The user on pages anyone may open (public notices, the login form)."""
    if session.user_id is None:
        return None
    try:
        return await page_user(request, session)
    except LoginRequired:
        return None


MaybeUser = Annotated[User | None, Depends(optional_user)]


def page_for(*roles: str) -> Callable[[User], Awaitable[User]]:
    """Gate a page to users holding one of ``roles``; anyone else gets the 404 page. A role of
    the chain counts only where the user may act in it, as for the API's commands: an auditor
    or admin who also holds a caseworker role gets no caseworker page."""

    async def gate(user: PageUser) -> User:
        if not set(roles) & page_roles(user):
            raise NotFound("no such page", code="page-not-found")
        return user

    return gate


def page_roles(user: User) -> set[str]:
    """The roles whose pages the user sees: the supervising roles they hold, and the roles of
    the chain they may act in (none for auditors and admins)."""
    return acting_roles(user) | ({ADMIN, AUDITOR} & set(user.roles))
