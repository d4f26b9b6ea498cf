"""Accounts: the roles and the level each works at, the username and password policies, and
the operator's ``relief users set-password``.

Users have no self-registration: an administrator adds them (service/people, the console, the
API, or ``relief users add`` on the server). ``set-password`` is an audit event in the chain of
the user's county, with the operator as ``cli:<login>``; no password and no hash is ever
written to the trail or printed.
"""

from __future__ import annotations

import re
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
from service.config import get_settings
from service.errors import InvalidInput, NotFound, ReliefError, field_error
from service.regions.models import COUNTY, TOWNSHIP, VILLAGE

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
