"""Logging in and user administration helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from anyio import to_thread
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth import accounts
from service.auth.models import User
from service.auth.passwords import hash_password, verify_password
from service.auth.schemas import Me, Token
from service.auth.throttle import login_throttle
from service.auth.tokens import issue_token
from service.auth.users import forget_user
from service.config import get_settings
from service.db import get_database
from service.errors import Conflict, NotAuthenticated, TooManyAttempts
from service.regions.models import Region


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    return (await session.exec(select(User).where(User.username == username))).first()


async def _record_login_event(action: str, user: User | None, username: str) -> None:
    # Its own write transaction: the password check ran outside any write lock.
    async with get_database().write_sessions() as session:
        audit_service.record(
            session,
            action=action,
            actor=user,
            actor_name=None if user else username,
            region=user.jurisdiction if user else None,
        )
        await audit_service.commit(session)


async def login(session: AsyncSession, *, username: str, password: str, address: str) -> Token:
    """Check a password (argon2, off the event loop) and issue a bearer token."""
    user = await authenticate(session, username=username, password=password, address=address)
    assert user.id is not None
    token, expires_in = issue_token(get_settings(), user_id=user.id, username=user.username)
    return Token(access_token=token, expires_in=expires_in)


async def authenticate(
    session: AsyncSession, *, username: str, password: str, address: str
) -> User:
    """The active user with this password, or 401 (429 when throttled). The API's token and
    the web console's session both log in here: one throttle, one audit of failures."""
    username = username[:64]
    wait = login_throttle.retry_after(username=username, address=address)
    if wait:
        raise TooManyAttempts(
            f"too many failed logins; try again in {wait} seconds",
            retry_after=wait,
            code="login-throttled",
            params={"retry_after": wait},
        )
    user = await get_by_username(session, username)
    stored_hash = user.password_hash if user else None
    valid = await to_thread.run_sync(verify_password, password, stored_hash)
    if not valid or user is None or not user.active:
        locked = login_throttle.failed(username=username, address=address)
        await _record_login_event("login_failed", user, username)
        if locked:
            await _record_login_event("login_locked", user, username)
        raise NotAuthenticated("wrong username or password", code="login-failed")
    login_throttle.succeeded(username=username)
    return user


async def change_password(
    user: User, *, current_password: str, new_password: str, address: str
) -> None:
    """Replace the caller's password after checking the current one (argon2, off the event
    loop). A wrong current password counts as a failed login of the account and the address:
    it is throttled and audited the same way (``password_change_failed``, then
    ``login_locked``), so a stolen token cannot be used to guess the password. The new one
    must meet the policy (422 with the reasons); success is audited as ``password_changed``.

    Tokens issued before, this one included, stay valid until they expire
    (``RELIEF_TOKEN_TTL_MINUTES``): a token carries no password version to revoke it by."""
    wait = login_throttle.retry_after(username=user.username, address=address)
    if wait:
        raise TooManyAttempts(
            f"too many failed attempts; try again in {wait} seconds",
            retry_after=wait,
            code="password-attempts-throttled",
            params={"retry_after": wait},
        )
    # The stored hash as it is now: the caller's User may be a copy cached by the dependency.
    async with get_database().read_sessions() as session:
        fresh = await session.get(User, user.id)
    if fresh is None or not fresh.active:
        raise NotAuthenticated("user unknown or disabled", code="user-unknown-or-disabled")
    checked_hash = fresh.password_hash
    valid = await to_thread.run_sync(verify_password, current_password, checked_hash)
    if not valid:
        locked = login_throttle.failed(username=user.username, address=address)
        await _record_login_event("password_change_failed", user, user.username)
        if locked:
            await _record_login_event("login_locked", user, user.username)
        raise NotAuthenticated("the current password is wrong", code="current-password-wrong")
    login_throttle.succeeded(username=user.username)
    accounts.require_policy(
        new_password, username=user.username, field="new_password", current=current_password
    )
    new_hash = await to_thread.run_sync(hash_password, new_password)
    async with get_database().write_sessions() as session:
        stored = await session.get(User, user.id)
        if stored is None or not stored.active or stored.password_hash != checked_hash:
            # Changed (or disabled) since this request checked the current password.
            raise Conflict(
                "the password was changed meanwhile; log in again",
                code="password-changed-meanwhile",
            )
        stored.password_hash = new_hash
        session.add(stored)
        audit_service.record(session, action=accounts.PASSWORD_CHANGED, actor=stored)
        await audit_service.commit(session)


async def end_web_sessions(user: User) -> None:
    """Logging out of the console: every web session of the user started until now ends, on
    every device, so a copied cookie does not outlive the logout. Real time, not the service
    clock (which tests move): sessions record their start in real time too."""
    assert user.id is not None
    async with get_database().write_sessions() as session:
        stored = await session.get(User, user.id)
        if stored is None:
            return
        stored.sessions_ended_at = datetime.now(UTC)
        session.add(stored)
        await session.commit()
    forget_user(user.id)


async def describe(session: AsyncSession, user: User) -> Me:
    """The caller as ``GET /auth/me`` shows them, with the name of their jurisdiction."""
    assert user.id is not None
    region = await session.get(Region, user.jurisdiction)
    return Me(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=user.roles,
        jurisdictions=[user.jurisdiction],
        jurisdiction_name=region.name if region else None,
    )
