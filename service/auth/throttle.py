"""Login limits: brute force stays slow, and nobody can lock the owner out by guessing.

Every password check (a login, or the current password of a change) is a ``LoginAttempt`` row;
the limits count those rows in sliding windows, so every process and every replica sees the
same counts, and a process keeps nothing in memory. Attempts refused by a limit are refused
before any password is checked: they cost no argon2 time, are not rows, and do not extend a lock.

- **Per username and address** (``RELIEF_LOGIN_MAX_FAILURES``, 5 in
  ``RELIEF_LOGIN_WINDOW_SECONDS``, 15 minutes): after that many failures since the pair's last
  success, the pair is locked until the oldest of them leaves the window. Only that address:
  the owner elsewhere still logs in.
- **Per username, every address** (``RELIEF_LOGIN_SLOW_AFTER_FAILURES``, 10 in the window):
  then each further attempt from an address the user has not logged in from in the last
  ``RELIEF_LOGIN_USUAL_ADDRESS_DAYS`` waits 2, 4, 8 … seconds (at most
  ``RELIEF_LOGIN_MAX_DELAY_SECONDS``) after the account's last failure. A slowdown, never a
  lock: guessing from many addresses gets a few attempts a minute, and the owner at their usual
  address is not slowed at all.
- **Per address, every username** (``RELIEF_LOGIN_MAX_FAILURES_PER_ADDRESS``, 50 in the
  window): password spraying; the address is locked until the window frees it.
- **Per username and address, success or not** (``RELIEF_LOGIN_MAX_PER_MINUTE``, 20): each
  check costs an argon2 verification, so valid credentials cannot be used to burn the CPU.

The first lock and the first slowdown of a window are audit events (``login_locked``,
``login_address_locked``, ``login_slowed``); the service records them with the failure that
crossed the limit (``crossed``). Times are the service clock's (real time in production).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.models import LoginAttempt
from service.config import Settings, get_settings
from service.db import get_database
from service.errors import TooManyAttempts

MINUTE = timedelta(minutes=1)
LOCKED, ADDRESS_LOCKED, SLOWED = "login_locked", "login_address_locked", "login_slowed"


@dataclass(frozen=True)
class Counts:
    """Failures in the window: of the username from the address since the pair's last
    success, of the username from every address, and of the address for every username."""

    pair: int
    account: int
    address: int


def _window(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.login_window_seconds)


def _wait(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _refuse(wait: int, *, detail: str, code: str) -> TooManyAttempts:
    return TooManyAttempts(
        f"{detail}; try again in {wait} seconds",
        retry_after=wait,
        code=code,
        params={"retry_after": wait},
    )


def slowdown_seconds(account_failures: int, settings: Settings) -> int:
    """The pause after the account's last failure once it has ``account_failures`` in the
    window: none below the threshold, then 2, 4, 8 … up to the maximum."""
    beyond = account_failures - settings.login_slow_after_failures
    if beyond < 0:
        return 0
    return min(int(2 ** min(beyond + 1, 16)), settings.login_max_delay_seconds)


async def _pair_rows(
    session: AsyncSession, username: str, address: str, since: datetime, limit: int
) -> list[tuple[datetime, bool]]:
    rows = await session.exec(
        select(LoginAttempt.at, LoginAttempt.succeeded)
        .where(LoginAttempt.username == username, LoginAttempt.address == address)
        .where(LoginAttempt.at > since)
        .order_by(col(LoginAttempt.at).desc())
        .limit(limit)
    )
    return [(at, succeeded) for at, succeeded in rows]


def _failures_since_success(rows: list[tuple[datetime, bool]]) -> list[datetime]:
    failures = []
    for at, succeeded in rows:  # newest first
        if succeeded:
            break
        failures.append(at)
    return failures


async def _account_failures(
    session: AsyncSession, username: str, since: datetime
) -> tuple[int, datetime | None]:
    count, last = (
        await session.exec(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.username == username,
                LoginAttempt.succeeded == False,  # noqa: E712 - SQL, not Python
                LoginAttempt.at > since,
            )
        )
    ).one()
    return int(count), last


async def _address_failures(
    session: AsyncSession, address: str, since: datetime, limit: int
) -> list[datetime]:
    """The address's failures in the window, newest first, at most ``limit`` of them: their
    number up to the limit, and the one whose leaving the window frees a locked address."""
    rows = await session.exec(
        select(LoginAttempt.at)
        .where(
            LoginAttempt.address == address,
            LoginAttempt.succeeded == False,  # noqa: E712 - SQL, not Python
            LoginAttempt.at > since,
        )
        .order_by(col(LoginAttempt.at).desc())
        .limit(limit)
    )
    return list(rows)


async def _is_usual(session: AsyncSession, username: str, address: str, now: datetime) -> bool:
    since = now - timedelta(days=get_settings().login_usual_address_days)
    found = await session.exec(
        select(LoginAttempt.id)
        .where(LoginAttempt.username == username, LoginAttempt.address == address)
        .where(LoginAttempt.succeeded == True, LoginAttempt.at > since)  # noqa: E712
        .limit(1)
    )
    return found.first() is not None


async def check(
    session: AsyncSession,
    *,
    username: str,
    address: str,
    now: datetime,
    code: str = "login-throttled",
) -> Counts:
    """Refuse (429 with ``retry_after``) an attempt a limit holds back; otherwise the counts
    it starts from. ``code`` names the pair lock (a password change names its own)."""
    settings = get_settings()
    since = now - _window(settings)
    limit = settings.login_max_failures
    per_minute = settings.login_max_per_minute
    rows = await _pair_rows(session, username, address, since, max(limit, per_minute))
    failures = _failures_since_success(rows)
    if len(failures) >= limit:
        raise _refuse(
            _wait(failures[limit - 1] + _window(settings), now),
            detail="too many failed logins",
            code=code,
        )
    recent = [at for at, _ in rows if at > now - MINUTE]
    if len(recent) >= per_minute:
        raise _refuse(
            _wait(recent[per_minute - 1] + MINUTE, now),
            detail=f"at most {per_minute} logins a minute",
            code="login-rate-limited",
        )
    per_address = settings.login_max_failures_per_address
    address_failures = await _address_failures(session, address, since, per_address)
    if len(address_failures) >= per_address:
        raise _refuse(
            _wait(address_failures[per_address - 1] + _window(settings), now),
            detail="too many failed logins from this address",
            code="login-address-throttled",
        )
    account, last_failure = await _account_failures(session, username, since)
    pause = timedelta(seconds=slowdown_seconds(account, settings))
    free_at = last_failure + pause if last_failure is not None and pause else now
    if free_at > now and not await _is_usual(session, username, address, now):
        raise _refuse(
            _wait(free_at, now),
            detail="many failed logins of this account; slowed down",
            code="login-slowed",
        )
    return Counts(pair=len(failures), account=account, address=len(address_failures))


async def record(
    session: AsyncSession,
    *,
    username: str,
    address: str,
    succeeded: bool,
    now: datetime,
    before: Counts,
) -> list[str]:
    """Add the attempt to ``session`` (the caller commits) and, for a failure, name the limits
    it took over their threshold: the audit actions to record with it. Counted again after the
    insert, so concurrent failures may both name a limit, but none crosses it unnamed."""
    session.add(LoginAttempt(username=username, address=address, succeeded=succeeded, at=now))
    if succeeded:
        return []
    await session.flush()
    settings = get_settings()
    since = now - _window(settings)
    rows = await _pair_rows(session, username, address, since, settings.login_max_failures)
    after = Counts(
        pair=len(_failures_since_success(rows)),
        account=(await _account_failures(session, username, since))[0],
        address=len(
            await _address_failures(
                session, address, since, settings.login_max_failures_per_address
            )
        ),
    )
    thresholds = (
        (LOCKED, before.pair, after.pair, settings.login_max_failures),
        (ADDRESS_LOCKED, before.address, after.address, settings.login_max_failures_per_address),
        (SLOWED, before.account, after.account, settings.login_slow_after_failures),
    )
    return [action for action, was, now_, limit in thresholds if was < limit <= now_]


async def prune_due(now: datetime, limit: int) -> int:
    """The worker's job source: delete up to ``limit`` attempts nothing counts any more:
    failures older than the window, successes older than the usual-address days."""
    settings = get_settings()
    failed_before = now - _window(settings)
    succeeded_before = now - timedelta(days=settings.login_usual_address_days)
    async with get_database().write_sessions() as session:
        expired = (
            await session.exec(
                select(LoginAttempt.id)
                .where(
                    or_(
                        (col(LoginAttempt.succeeded) == False)  # noqa: E712
                        & (col(LoginAttempt.at) < failed_before),
                        (col(LoginAttempt.succeeded) == True)  # noqa: E712
                        & (col(LoginAttempt.at) < succeeded_before),
                    )
                )
                .limit(limit)
            )
        ).all()
        if not expired:
            return 0
        await session.exec(delete(LoginAttempt).where(col(LoginAttempt.id).in_(expired)))
        await session.commit()
    return len(expired)
