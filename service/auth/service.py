"""Logging in and user administration helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from anyio import to_thread
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth import accounts, passwords, throttle
from service.auth.models import User
from service.auth.schemas import Me, Token
from service.auth.tokens import issue_token
from service.auth.users import forget_user
from service.clock import utcnow
from service.config import get_settings
from service.db import get_database
from service.errors import Conflict, NotAuthenticated
from service.regions.models import Region


async def _limits(*, username: str, address: str, code: str) -> throttle.Counts:
    """The login limits' verdict now (429 when one holds the attempt back), read in a short
    session of its own: a long one would not see attempts other processes recorded since."""
    async with get_database().read_sessions() as session:
        return await throttle.check(
            session, username=username, address=address, now=utcnow(), code=code
        )


async def _verify(
    password: str, stored_hash: str | None, *, username: str, address: str, code: str
) -> tuple[bool, throttle.Counts]:
    """Check a password within the limits and the process's argon2 slots. The limits are
    read before waiting for a slot (a held-back guess costs no slot) and again once a slot is
    held, so concurrent guesses cannot all pass on the counts from before any of them."""
    await _limits(username=username, address=address, code=code)
    async with passwords.slots().slot():
        before = await _limits(username=username, address=address, code=code)
        valid = await to_thread.run_sync(passwords.verify_password, password, stored_hash)
    return valid, before


async def _record_attempt(
    *,
    user: User | None,
    username: str,
    address: str,
    succeeded: bool,
    before: throttle.Counts,
    failed_action: str,
) -> None:
    """Store the attempt; a failure is audited (``failed_action``), with the lock or slowdown
    it starts. One write transaction, after the password check, which ran outside any."""
    async with get_database().write_sessions() as session:
        crossed = await throttle.record(
            session,
            username=username,
            address=address,
            succeeded=succeeded,
            now=utcnow(),
            before=before,
        )
        if succeeded:
            await session.commit()
            return
        for action in (failed_action, *crossed):
            audit_service.record(
                session,
                action=action,
                actor=user,
                actor_name=None if user else username,
                region=user.jurisdiction if user else None,
                comment=f"from {address}" if action in crossed else None,
            )
        await audit_service.commit(session)


async def login(*, username: str, password: str, address: str) -> Token:
    """Check a password (argon2, off the event loop) and issue a bearer token."""
    user = await authenticate(username=username, password=password, address=address)
    token, expires_in = issue_token(get_settings(), user=user)
    return Token(access_token=token, expires_in=expires_in)


async def authenticate(*, username: str, password: str, address: str) -> User:
    """The active user with this password, or 401 (429 when a login limit holds the attempt
    back, 503 when every password-check slot stays busy). The API's token and the web
    console's session both log in here: one set of limits, one audit of failures.

    Every read is a short session of its own: no database connection is held while the
    login waits for a slot or argon2 runs (eighty waiting logins held the whole pool, and the
    other pages timed out waiting for a connection)."""
    username, address = username[:64], address[:64]
    async with get_database().read_sessions() as session:
        user = await accounts.get_user(session, username)
    valid, before = await _verify(
        password,
        user.password_hash if user else None,
        username=username,
        address=address,
        code="login-throttled",
    )
    succeeded = valid and user is not None and user.active
    await _record_attempt(
        user=user,
        username=username,
        address=address,
        succeeded=succeeded,
        before=before,
        failed_action="login_failed",
    )
    if not succeeded or user is None:
        raise NotAuthenticated("wrong username or password", code="login-failed")
    return user


async def change_password(
    user: User, *, current_password: str, new_password: str, address: str
) -> None:
    """Replace the caller's password after checking the current one (argon2, off the event
    loop, in a slot). A wrong current password counts as a failed login of the account from
    the address: limited and audited the same way (``password_change_failed``, then
    ``login_locked``), so a stolen token cannot be used to guess the password. The new one
    must meet the policy (422 with the reasons); success is audited as ``password_changed``.

    Every token and console session issued before, this request's included, is refused from
    then on: they carry a mark of the password hash (``tokens.password_mark``)."""
    address = address[:64]
    # The stored hash as it is now: the caller's User may be a copy cached by the dependency.
    async with get_database().read_sessions() as session:
        fresh = await session.get(User, user.id)
    if fresh is None or not fresh.active:
        raise NotAuthenticated("user unknown or disabled", code="user-unknown-or-disabled")
    checked_hash = fresh.password_hash
    valid, before = await _verify(
        current_password,
        checked_hash,
        username=user.username,
        address=address,
        code="password-attempts-throttled",
    )
    await _record_attempt(
        user=user,
        username=user.username,
        address=address,
        succeeded=valid,
        before=before,
        failed_action="password_change_failed",
    )
    if not valid:
        raise NotAuthenticated("the current password is wrong", code="current-password-wrong")
    accounts.require_policy(
        new_password, username=user.username, field="new_password", current=current_password
    )
    new_hash = await passwords.hash_bounded(new_password)
    async with get_database().write_sessions() as session:
        stored = await session.get(User, user.id)
        if stored is None or not stored.active or stored.password_hash != checked_hash:
            # Changed (or disabled) since this request checked the current password.
            raise Conflict(
                "the password was changed meanwhile; log in again",
                code="password-changed-meanwhile",
            )
        stored.password_hash = new_hash
        stored.must_change_password = False
        session.add(stored)
        audit_service.record(session, action=accounts.PASSWORD_CHANGED, actor=stored)
        await audit_service.commit(session)
    assert user.id is not None
    forget_user(user.id)  # this process refuses the old tokens at once


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
        must_change_password=user.must_change_password,
    )
