"""User accounts for operators: adding users and setting their passwords (``relief users``).

Users have no self-registration: an operator adds them on the server with ``relief users add``
(the account cannot log in yet), then gives them a password with ``relief users set-password``.
Both are audit events in the chain of the user's county, with the operator as ``cli:<login>``;
no password and no hash is ever written to the trail or printed.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from anyio import to_thread
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth import passwords
from service.auth.models import (
    ADMIN,
    AUDITOR,
    CASEWORKER,
    COUNTY_APPROVER,
    FINANCE_OFFICER,
    TOWNSHIP_REVIEWER,
    VILLAGE_HEAD,
    User,
)
from service.auth.passwords import check_policy, hash_password
from service.clock import utcnow
from service.config import get_settings
from service.errors import Conflict, InvalidInput, NotFound, ReliefError, field_error
from service.regions.models import COUNTY, TOWNSHIP, VILLAGE, Region

# The level of region each role works at, as the demo county has them: a wider jurisdiction
# than its role needs would let the user see more cases than they work on.
ROLE_LEVELS = {
    CASEWORKER: VILLAGE,
    VILLAGE_HEAD: VILLAGE,
    TOWNSHIP_REVIEWER: TOWNSHIP,
    COUNTY_APPROVER: COUNTY,
    FINANCE_OFFICER: COUNTY,
    AUDITOR: COUNTY,
    ADMIN: COUNTY,
}
ROLES = tuple(ROLE_LEVELS)
# Lower case, so no two accounts differ only in case; as the demo users are spelt (cw.lizhuang).
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
PASSWORD_UNCHANGED = "must differ from the current password"
USER_CREATED, PASSWORD_SET, PASSWORD_CHANGED = "user_created", "password_set", "password_changed"


class WeakPassword(InvalidInput):
    """A new password the policy refuses: 422 ``invalid-input`` with one error per reason."""

    def __init__(self, reasons: list[str], *, field: str) -> None:
        detail = "the password does not meet the policy: " + "; ".join(reasons)
        errors = [field_error(field, reason, **_policy_code(reason)) for reason in reasons]
        ReliefError.__init__(
            self,
            detail,
            code="password-weak",
            params={"reasons": [error["code"] for error in errors]},
            errors=errors,
        )
        self.reasons = reasons


_POLICY_CODES: dict[str, dict[str, Any]] = {
    passwords.TOO_LONG: {"code": "password-too-long", "params": {"maximum": passwords.MAX_LENGTH}},
    passwords.HAS_USERNAME: {"code": "password-has-username"},
    passwords.SIMPLE: {"code": "password-simple"},
    passwords.COMMON: {"code": "password-common"},
    PASSWORD_UNCHANGED: {"code": "password-unchanged"},
}


def _policy_code(reason: str) -> dict[str, Any]:
    """The code (and params) of one reason ``check_policy`` gives (the rest: too short)."""
    minimum = get_settings().password_min_length
    return _POLICY_CODES.get(reason, {"code": "password-too-short", "params": {"minimum": minimum}})


def require_policy(password: str, *, username: str, field: str, current: str | None = None) -> None:
    """Raise ``WeakPassword`` unless ``password`` meets the policy (and differs from
    ``current``, the password it replaces, when that is known)."""
    reasons = check_policy(password, username=username)
    if current is not None and password == current:
        reasons.append(PASSWORD_UNCHANGED)
    if reasons:
        raise WeakPassword(reasons, field=field)


async def get_user(session: AsyncSession, username: str) -> User | None:
    return (await session.exec(select(User).where(User.username == username))).first()


async def add_user(
    session: AsyncSession,
    *,
    username: str,
    role: str,
    region: str,
    full_name: str | None,
    actor_name: str,
) -> User:
    """Create an active user who cannot log in until a password is set; commits."""
    if not USERNAME.fullmatch(username):
        raise InvalidInput(
            "a username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="username",
            code="username-invalid",
        )
    if role not in ROLE_LEVELS:
        raise InvalidInput(
            f"unknown role {role!r}; one of: {', '.join(ROLES)}",
            field="role",
            code="role-unknown",
            params={"role": role, "roles": list(ROLES)},
        )
    place = await session.get(Region, region)
    if place is None:
        raise InvalidInput(
            f"unknown region code {region!r}",
            field="region",
            code="region-unknown",
            params={"region": region},
        )
    if place.level != ROLE_LEVELS[role]:
        raise InvalidInput(
            f"a {role} works at {ROLE_LEVELS[role]} level; {region} is a {place.level}",
            field="region",
            code="region-level-mismatch",
            params={
                "role": role,
                "level": ROLE_LEVELS[role],
                "region": region,
                "region_level": place.level,
            },
        )
    name = (full_name or username).strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput(
            "a name is 1 to 100 characters", field="name", code="name-length", params={"max": 100}
        )
    if await get_user(session, username) is not None:
        raise Conflict(
            f"user {username} already exists", code="user-exists", params={"username": username}
        )
    # Unusable until set-password: the hash of a random secret nobody keeps (a login with it
    # costs the same argon2 check as any other, so it tells nothing).
    unusable = await to_thread.run_sync(hash_password, secrets.token_urlsafe(32))
    user = User(
        username=username,
        full_name=name,
        password_hash=unusable,
        roles=[role],
        jurisdiction=region,
        created_at=utcnow(),
    )
    session.add(user)
    audit_service.record(
        session,
        action=USER_CREATED,
        actor=None,
        actor_name=actor_name,
        region=region,
        after={"username": username, "roles": [role], "jurisdiction": region},
    )
    await audit_service.commit(session)
    return user


async def set_password(
    session: AsyncSession, *, username: str, password: str, actor_name: str
) -> User:
    """Give ``username`` a new password that meets the policy; commits. Tokens issued before
    stay valid until they expire (they carry no password version to revoke them by)."""
    user = await get_user(session, username)
    if user is None:
        raise NotFound(f"no user {username}", code="user-not-found", params={"username": username})
    require_policy(password, username=username, field="password")
    user.password_hash = await to_thread.run_sync(hash_password, password)
    session.add(user)
    audit_service.record(
        session,
        action=PASSWORD_SET,
        actor=None,
        actor_name=actor_name,
        region=user.jurisdiction,
        after={"username": username},
    )
    await audit_service.commit(session)
    return user
