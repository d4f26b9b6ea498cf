"""The worker: runs what is due (timers, message deliveries …) until stopped.

``relief worker`` runs it as a process; ``make run`` runs the same loop inside the server
(``RELIEF_WORKER_IN_PROCESS``), so a single-machine office needs nothing more. Several workers
and API replicas may share one PostgreSQL database: every job source claims its due work with
``SELECT … FOR UPDATE SKIP LOCKED``, one unit per transaction, so no unit runs twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from service import idempotency
from service.audit import anchors
from service.auth import throttle
from service.clock import utcnow
from service.config import get_settings
from service.notifications import delivery
from service.worker import firing

log = structlog.get_logger()

# A job source does the work due at ``now`` (at most ``limit`` units) and says how many it did.
JobSource = Callable[[datetime, int], Awaitable[int]]


def job_sources() -> list[tuple[str, JobSource]]:
    """Every kind of background work, in the order one round runs them."""
    sources: list[tuple[str, JobSource]] = [("timers", firing.fire_due)]
    # Tasks without a timer of their own, escalated at the catalogue's deadline.
    sources.append(("deadlines", firing.escalate_due))
    # After the timers, so the messages of a deadline fired this round go out this round.
    sources.append(("notifications", delivery.deliver_due))
    sources.append(("idempotency", idempotency.prune_due))
    sources.append(("logins", throttle.prune_due))  # attempts the login limits no longer count
    # Last: the heads it signs include what this round recorded.
    sources.append(("anchors", anchors.anchor_due))
    return sources


async def run_once(*, limit: int = 100) -> dict[str, int]:
    """One round: each source does what is due now (up to ``limit`` units)."""
    done = {}
    for name, source in job_sources():
        try:
            done[name] = await source(utcnow(), limit)
        except Exception:  # noqa: BLE001 - one source failing must not stop the others
            log.exception("worker_source_failed", source=name)
            done[name] = 0
    return done


async def run_until(stop: asyncio.Event) -> None:
    """Rounds until ``stop`` is set; a busy round is followed at once by the next."""
    interval = get_settings().worker_interval_seconds
    while not stop.is_set():
        done = await run_once()
        if sum(done.values()):
            log.info("worker_round", **done)
            continue
        with contextlib.suppress(TimeoutError):  # the pause ended: look again
            await asyncio.wait_for(stop.wait(), timeout=interval)
