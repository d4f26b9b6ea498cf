"""Who is calling: the ``CurrentUser`` dependency and role gates for routers."""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import make_transient_to_detached

from service.auth.models import ADMIN, AUDITOR, User
from service.auth.tokens import read_token
from service.config import get_settings
from service.context import CALLER_SCOPE_KEY
from service.db import get_database
from service.errors import Forbidden, NotAuthenticated

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def current_user(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    if not token:
        raise NotAuthenticated("missing bearer token")
    settings = get_settings()
    user = await _user(read_token(settings, token), settings.user_cache_seconds)
    if user is None or not user.active:
        raise NotAuthenticated("user unknown or disabled")
    request.scope[CALLER_SCOPE_KEY] = user  # refusals of this user are audited (problems.py)
    return user


# user id → (monotonic expiry, column values): one row read per user per few seconds per
# process instead of one per request (a round trip and an ORM load on every call).
_recent_users: dict[int, tuple[float, dict[str, Any]]] = {}


async def active_user(user_id: int) -> User | None:
    """The user behind a verified credential (a token or a web session), if still active;
    read through the per-process cache like every authenticated request."""
    user = await _user(user_id, get_settings().user_cache_seconds)
    return user if user is not None and user.active else None


def forget_user(user_id: int) -> None:
    """Read the user's row again on their next request in this process (after a change that
    must take effect at once here; other processes follow within the cache's seconds)."""
    _recent_users.pop(user_id, None)


async def _user(user_id: int, cache_seconds: float) -> User | None:
    now = time.monotonic()
    recent = _recent_users.get(user_id)
    if recent is not None and recent[0] > now:
        # A new detached object per request, as a session would give: requests never share
        # one, and a command may still attach it to its own session.
        user = User(**copy.deepcopy(recent[1]))
        make_transient_to_detached(user)
        return user
    # A short session of its own: the connection goes back to the pool before the command
    # runs, so a write request holds one connection, not two.
    async with get_database().read_sessions() as session:
        stored = await session.get(User, user_id)
    if stored is not None and cache_seconds > 0:
        if len(_recent_users) > 10_000:  # bounded: ids come only from valid tokens
            _recent_users.clear()
        _recent_users[user_id] = (now + cache_seconds, stored.model_dump())
    return stored


CurrentUser = Annotated[User, Depends(current_user)]


def acting_roles(user: User) -> set[str]:
    """The roles a user may act in on cases. Auditors and administrators act on none, whatever
    other role they also hold: those who supervise or configure the chain do not work in it."""
    if {ADMIN, AUDITOR} & set(user.roles):
        return set()
    return set(user.roles)


def require_acting_role(role: str) -> Callable[[User], Awaitable[User]]:
    """Gate a route that acts on cases to callers who may act as ``role``."""

    async def gate(user: CurrentUser) -> User:
        if role not in acting_roles(user):
            raise Forbidden(f"requires the {role} role; auditors and admins act on no case")
        return user

    return gate


def require_any_acting_role(*roles: str) -> Callable[[User], Awaitable[User]]:
    """Gate a route that acts on cases to callers who may act in at least one of ``roles``."""

    async def gate(user: CurrentUser) -> User:
        if not set(roles) & acting_roles(user):
            raise Forbidden(
                f"requires one of the roles {', '.join(roles)}; auditors and admins act on no case"
            )
        return user

    return gate


def require_roles(*roles: str) -> Callable[[User], Awaitable[User]]:
    """Gate a route to callers holding at least one of ``roles``."""

    async def gate(user: CurrentUser) -> User:
        if not set(roles) & set(user.roles):
            raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
        return user

    return gate
