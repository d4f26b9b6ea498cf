"""Who is calling: the ``CurrentUser`` dependency and role gates for routers (the HTTP edge
inside the auth package; the domain never imports this module)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from service.auth.models import User, acting_roles
from service.auth.tokens import read_token, still_valid_for
from service.auth.users import load_user
from service.config import get_settings
from service.errors import Forbidden, NotAuthenticated

# The logged-in caller (a User) in the ASGI scope, set by ``current_user``: the problem handlers
# run after the request's dependencies have closed and record refusals of that user.
CALLER_SCOPE_KEY = "relief.user"

# What a user whose password an administrator set may still do: see who they are, and change it.
PASSWORD_CHANGE_PATHS = frozenset({"/api/v1/auth/me", "/api/v1/auth/password"})

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def current_user(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    if not token:
        raise NotAuthenticated("missing bearer token", code="token-missing")
    settings = get_settings()
    claims = read_token(settings, token)
    user = await load_user(claims.user_id, settings.user_cache_seconds)
    if user is None or not user.active:
        raise NotAuthenticated("user unknown or disabled", code="user-unknown-or-disabled")
    if not still_valid_for(claims, user):
        raise NotAuthenticated(
            "the password was changed after this token was issued; log in again",
            code="token-revoked",
        )
    request.scope[CALLER_SCOPE_KEY] = user  # refusals of this user are audited (http/refusals.py)
    if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise Forbidden(
            "an administrator set this password: change it (POST /api/v1/auth/password) "
            "before anything else",
            code="password-change-required",
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_acting_role(role: str) -> Callable[[User], Awaitable[User]]:
    """Gate a route that acts on cases to callers who may act as ``role``."""

    async def gate(user: CurrentUser) -> User:
        if role not in acting_roles(user):
            raise Forbidden(
                f"requires the {role} role; auditors and admins act on no case",
                code="case-role-required",
                params={"roles": [role]},
            )
        return user

    return gate


def require_any_acting_role(*roles: str) -> Callable[[User], Awaitable[User]]:
    """Gate a route that acts on cases to callers who may act in at least one of ``roles``."""

    async def gate(user: CurrentUser) -> User:
        if not set(roles) & acting_roles(user):
            raise Forbidden(
                f"requires one of the roles {', '.join(roles)}; auditors and admins act on no case",
                code="case-role-required",
                params={"roles": list(roles)},
            )
        return user

    return gate


def require_roles(*roles: str) -> Callable[[User], Awaitable[User]]:
    """Gate a route to callers holding at least one of ``roles``."""

    async def gate(user: CurrentUser) -> User:
        if not set(roles) & set(user.roles):
            raise Forbidden(
                f"requires one of the roles: {', '.join(roles)}",
                code="role-required",
                params={"roles": list(roles)},
            )
        return user

    return gate
