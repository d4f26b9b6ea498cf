"""Administration of the people who use the service: create, deactivate and reactivate, change
roles, move to another region, reset a password.

An administrator acts inside their own jurisdiction (their county): users elsewhere do not
exist for them (404), and nobody can be given a jurisdiction outside it (403). The operator's
command line (``relief users``) acts with no such bound, as the server's own account does.

Every change is one transaction with its audit event (before → after), in the chain of the
user's county. No password and no hash ever reaches the trail; a password an administrator
resets is random, shown to them once, and must be changed by the user at the next login.

Three rules keep the office governable:
- nobody changes their own roles, region or state here (a password of one's own is changed at
  ``POST /auth/password``): an administrator cannot raise their own rights;
- the last active administrator of a county cannot be deactivated or lose the role;
- a user who is moved, deactivated or given other roles holds no claimed task afterwards: each
  is released to the role's inbox or handed to a named colleague (service.tasks.handover).
  What the user completed before stays theirs, so separation of duties keeps counting it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service import text
from service.audit import service as audit_service
from service.auth import accounts, passwords
from service.auth.models import ADMIN, User
from service.auth.users import forget_user
from service.clock import utcnow
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.regions import service as regions_service
from service.regions.models import Region
from service.tasks import handover

USER_DEACTIVATED, USER_REACTIVATED = "user_deactivated", "user_reactivated"
USER_ROLES_CHANGED, USER_MOVED, PASSWORD_RESET = (
    "user_roles_changed",
    "user_moved",
    "password_reset",
)
# A one-time password: 16 characters of an alphabet without look-alikes (0/O, 1/l/I), read out
# or typed from a note; about 90 bits, never a policy refusal.
_ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_ONE_TIME_LENGTH = 16


@dataclass(frozen=True)
class Actor:
    """Who administers: an administrator of the console or API (bounded by their
    jurisdiction), or the operator's command line (``user`` None, ``name`` cli:<login>)."""

    user: User | None
    name: str | None = None

    @property
    def scope(self) -> str:
        return self.user.jurisdiction if self.user else ""


@dataclass(frozen=True)
class Change:
    """The user after a change, the claimed tasks that left them, and a one-time password when
    the change issued one (to show the administrator once; never stored in clear)."""

    user: User
    tasks_handed_over: list[int]
    one_time_password: str | None = None


def one_time_password() -> str:
    return "".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(_ONE_TIME_LENGTH))


async def list_people(
    session: AsyncSession, *, actor: Actor, active: bool | None = None, role: str | None = None
) -> list[User]:
    """The users inside the actor's jurisdiction, by region then username."""
    statement = select(User).where(col(User.jurisdiction).startswith(actor.scope))
    if active is not None:
        statement = statement.where(User.active == active)
    users = (await session.exec(statement.order_by(User.jurisdiction, User.username))).all()
    return [user for user in users if role is None or role in user.roles]


async def get_person(
    session: AsyncSession, *, actor: Actor, username: str, for_update: bool = False
) -> User:
    """The user ``username`` inside the actor's jurisdiction (404 otherwise, as for a user who
    does not exist). ``for_update`` locks the row for the transaction, and for an
    administrator every active administrator of the county first, in id order: two
    administrators changing each other at once then queue instead of deadlocking, and the
    second sees what the first did (``_keep_an_admin``)."""
    statement = select(User).where(User.username == username)
    user = (await session.exec(statement)).first()
    if user is None or not user.jurisdiction.startswith(actor.scope):
        raise NotFound(f"no user {username}", code="user-not-found", params={"username": username})
    if for_update:
        if ADMIN in user.roles:
            await _county_admins(session, user.county)
        locked = statement.with_for_update().execution_options(populate_existing=True)
        user = (await session.exec(locked)).one()
    return user


async def _county_admins(session: AsyncSession, county: str) -> list[User]:
    """The active administrators of ``county``, locked in id order, read as committed now."""
    statement = (
        select(User)
        .where(col(User.jurisdiction).startswith(county), User.active == True)  # noqa: E712
        .order_by(col(User.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return [user for user in (await session.exec(statement)).all() if ADMIN in user.roles]


def _check_roles(roles: list[str]) -> list[str]:
    if not roles:
        raise InvalidInput("name at least one role", field="roles", code="roles-empty")
    unknown = [role for role in roles if role not in accounts.ROLE_LEVELS]
    if unknown:
        raise InvalidInput(
            f"unknown role {unknown[0]!r}; one of: {', '.join(accounts.ROLES)}",
            field="roles",
            code="role-unknown",
            params={"role": unknown[0], "roles": list(accounts.ROLES)},
        )
    return sorted(set(roles), key=accounts.ROLES.index)


async def _check_place(
    session: AsyncSession, *, actor: Actor, roles: list[str], region: str
) -> Region:
    """``region`` is a current region inside the actor's jurisdiction, at the level every one
    of ``roles`` works at."""
    if not region.startswith(actor.scope):
        raise Forbidden(
            f"{region} is outside your jurisdiction {actor.scope}",
            code="people-outside-jurisdiction",
            params={"region": region, "jurisdiction": actor.scope},
        )
    place = await regions_service.get_current(session, region, field="jurisdiction")
    for role in roles:
        if place.level != accounts.ROLE_LEVELS[role]:
            raise InvalidInput(
                f"a {role} works at {accounts.ROLE_LEVELS[role]} level; {region} is a "
                f"{place.level}",
                field="jurisdiction",
                code="region-level-mismatch",
                params={
                    "role": role,
                    "level": accounts.ROLE_LEVELS[role],
                    "region": region,
                    "region_level": place.level,
                },
            )
    return place


def _not_oneself(actor: Actor, user: User) -> None:
    if actor.user is not None and actor.user.id == user.id:
        raise Forbidden(
            "nobody changes their own account here; another administrator does",
            code="people-own-account",
        )


async def _keep_an_admin(session: AsyncSession, user: User, *, remaining_roles: list[str]) -> None:
    """Refuse a change that would leave the user's county without an active administrator.
    ``get_person`` locked the county's administrators, so two administrators removing each
    other at once cannot both pass (SQLite's writers queue anyway)."""
    if ADMIN not in user.roles or not user.active or ADMIN in remaining_roles:
        return
    admins = await _county_admins(session, user.county)
    if not [other for other in admins if other.id != user.id]:
        raise Conflict(
            f"{user.username} is the last active administrator of county {user.county}; "
            "make someone else an administrator first",
            code="last-admin",
            params={"username": user.username, "county": user.county},
        )


def _facts(user: User) -> dict[str, object]:
    """What the trail shows of a user: never a password or its hash."""
    return {
        "username": user.username,
        "full_name": user.full_name,
        "roles": list(user.roles),
        "jurisdiction": user.jurisdiction,
        "active": user.active,
    }


async def create(
    session: AsyncSession,
    *,
    actor: Actor,
    username: str,
    full_name: str | None,
    roles: list[str],
    jurisdiction: str,
    issue_password: bool = True,
) -> Change:
    """A new active user. With ``issue_password`` the user gets a one-time password to change
    at the first login; without it (the operator's ``relief users add``) the account cannot
    log in until ``relief users set-password``. Commits."""
    if not accounts.USERNAME.fullmatch(username):
        raise InvalidInput(
            "a username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="username",
            code="username-invalid",
        )
    roles = _check_roles(roles)
    await _check_place(session, actor=actor, roles=roles, region=jurisdiction)
    name = text.name(full_name or username, field="full_name")
    if await accounts.get_user(session, username) is not None:
        raise Conflict(
            f"user {username} already exists", code="user-exists", params={"username": username}
        )
    # Without a one-time password: the hash of a random secret nobody keeps (a login with it
    # costs the same argon2 check as any other, so it tells nothing).
    password = one_time_password() if issue_password else secrets.token_urlsafe(32)
    user = User(
        username=username,
        full_name=name,
        password_hash=await passwords.hash_bounded(password),
        roles=roles,
        jurisdiction=jurisdiction,
        created_at=utcnow(),
        must_change_password=issue_password,
    )
    session.add(user)
    audit_service.record(
        session,
        action=accounts.USER_CREATED,
        actor=actor.user,
        actor_name=actor.name,
        region=jurisdiction,
        after=_facts(user),
    )
    await audit_service.commit(session)
    return Change(user, [], password if issue_password else None)


async def _hand_over(
    session: AsyncSession, *, actor: Actor, user: User, to: str | None, reason: str
) -> list[int]:
    """Release the user's claimed tasks, or hand them to the colleague ``to`` (who must be
    inside the actor's jurisdiction and may act on each)."""
    colleague = await get_person(session, actor=actor, username=to) if to else None
    if colleague is not None and colleague.id == user.id:
        raise InvalidInput("hand the tasks to someone else", field="hand_to", code="hand-to-self")
    return await handover.hand_over_claims(
        session, holder=user, to=colleague, reason=reason, actor=actor.user, actor_name=actor.name
    )


async def _save(session: AsyncSession, user: User) -> None:
    session.add(user)
    await audit_service.commit(session)
    assert user.id is not None
    forget_user(user.id)  # this process reads the new row at once; others within the cache


async def deactivate(
    session: AsyncSession, *, actor: Actor, username: str, reason: str, hand_to: str | None = None
) -> Change:
    """The user can no longer log in; their tokens and console sessions stop (at once in this
    process, within ``RELIEF_USER_CACHE_SECONDS`` in the others). Commits."""
    reason = text.reason(reason)
    user = await get_person(session, actor=actor, username=username, for_update=True)
    _not_oneself(actor, user)
    if not user.active:
        raise Conflict(
            f"{username} is already deactivated",
            code="user-already-inactive",
            params={"username": username},
        )
    await _keep_an_admin(session, user, remaining_roles=[])
    before = _facts(user)
    handed = await _hand_over(session, actor=actor, user=user, to=hand_to, reason=reason)
    user.active = False
    # Console cookies end too (real time, as sessions record their start).
    user.sessions_ended_at = datetime.now(UTC)
    _record(session, USER_DEACTIVATED, actor, user, before, reason, handed)
    await _save(session, user)
    return Change(user, handed)


async def reactivate(session: AsyncSession, *, actor: Actor, username: str, reason: str) -> Change:
    """The user may log in again, with a new one-time password: tokens and sessions from
    before the deactivation stay refused (their password mark no longer matches). Commits."""
    reason = text.reason(reason)
    user = await get_person(session, actor=actor, username=username, for_update=True)
    _not_oneself(actor, user)
    if user.active:
        raise Conflict(
            f"{username} is active", code="user-already-active", params={"username": username}
        )
    await _check_place(session, actor=actor, roles=user.roles, region=user.jurisdiction)
    before = _facts(user)
    password = one_time_password()
    user.password_hash = await passwords.hash_bounded(password)
    user.must_change_password = True
    user.active = True
    _record(session, USER_REACTIVATED, actor, user, before, reason, [])
    await _save(session, user)
    return Change(user, [], password)


async def change_roles(
    session: AsyncSession,
    *,
    actor: Actor,
    username: str,
    roles: list[str],
    reason: str,
    hand_to: str | None = None,
) -> Change:
    """Give the user other roles (each fitting their region's level). Claimed tasks are
    released or handed over: a role the user keeps may still need another level's hands.
    Commits."""
    reason = text.reason(reason)
    user = await get_person(session, actor=actor, username=username, for_update=True)
    _not_oneself(actor, user)
    roles = _check_roles(roles)
    if roles == user.roles:
        raise Conflict(
            f"{username} already has these roles",
            code="user-unchanged",
            params={"username": username},
        )
    await _check_place(session, actor=actor, roles=roles, region=user.jurisdiction)
    await _keep_an_admin(session, user, remaining_roles=roles)
    before = _facts(user)
    handed = await _hand_over(session, actor=actor, user=user, to=hand_to, reason=reason)
    user.roles = roles
    _record(session, USER_ROLES_CHANGED, actor, user, before, reason, handed)
    await _save(session, user)
    return Change(user, handed)


async def move(
    session: AsyncSession,
    *,
    actor: Actor,
    username: str,
    jurisdiction: str,
    reason: str,
    roles: list[str] | None = None,
    hand_to: str | None = None,
) -> Change:
    """Move the user to another region (and, when the level changes, other roles fitting it).
    Claimed tasks are released or handed over. Commits."""
    reason = text.reason(reason)
    user = await get_person(session, actor=actor, username=username, for_update=True)
    _not_oneself(actor, user)
    new_roles = _check_roles(roles) if roles is not None else list(user.roles)
    if jurisdiction == user.jurisdiction and new_roles == user.roles:
        raise Conflict(
            f"{username} already works there", code="user-unchanged", params={"username": username}
        )
    await _check_place(session, actor=actor, roles=new_roles, region=jurisdiction)
    await _keep_an_admin(session, user, remaining_roles=new_roles)
    before = _facts(user)
    handed = await _hand_over(session, actor=actor, user=user, to=hand_to, reason=reason)
    user.jurisdiction, user.roles = jurisdiction, new_roles
    _record(session, USER_MOVED, actor, user, before, reason, handed)
    await _save(session, user)
    return Change(user, handed)


async def reset_password(
    session: AsyncSession, *, actor: Actor, username: str, reason: str
) -> Change:
    """A new one-time password, to be changed at the next login; every token and console
    session of the user issued before is refused from now on. Commits."""
    reason = text.reason(reason)
    user = await get_person(session, actor=actor, username=username, for_update=True)
    _not_oneself(actor, user)
    password = one_time_password()
    user.password_hash = await passwords.hash_bounded(password)
    user.must_change_password = True
    _record(session, PASSWORD_RESET, actor, user, _facts(user), reason, [])
    await _save(session, user)
    return Change(user, [], password)


def _record(
    session: AsyncSession,
    action: str,
    actor: Actor,
    user: User,
    before: dict[str, object],
    reason: str,
    handed: list[int],
) -> None:
    after = _facts(user)
    if handed:
        after["tasks_handed_over"] = handed
    audit_service.record(
        session,
        action=action,
        actor=actor.user,
        actor_name=actor.name,
        region=user.jurisdiction,
        before=before if action != PASSWORD_RESET else None,
        after=after,
        comment=reason,
    )
