"""Logging in and user administration helpers."""

from __future__ import annotations

from anyio import to_thread
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_service
from service.auth.models import User
from service.auth.passwords import verify_password
from service.auth.schemas import Me, Token
from service.auth.throttle import login_throttle
from service.auth.tokens import issue_token
from service.config import get_settings
from service.db import get_database
from service.errors import NotAuthenticated, TooManyAttempts
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
    """Check a password (argon2, off the event loop); a failure is a security event."""
    username = username[:64]
    wait = login_throttle.retry_after(username=username, address=address)
    if wait:
        raise TooManyAttempts(
            f"too many failed logins; try again in {wait} seconds", retry_after=wait
        )
    user = await get_by_username(session, username)
    stored_hash = user.password_hash if user else None
    valid = await to_thread.run_sync(verify_password, password, stored_hash)
    if not valid or user is None or not user.active:
        locked = login_throttle.failed(username=username, address=address)
        await _record_login_event("login_failed", user, username)
        if locked:
            await _record_login_event("login_locked", user, username)
        raise NotAuthenticated("wrong username or password")
    login_throttle.succeeded(username=username)
    assert user.id is not None
    token, expires_in = issue_token(get_settings(), user_id=user.id, username=user.username)
    return Token(access_token=token, expires_in=expires_in)


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
