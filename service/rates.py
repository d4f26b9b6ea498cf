"""Sliding-window rate limits counted from rows the service stores anyway (reveals in the
trail, objections), so every replica sees the same count without a shared cache."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from service.errors import TooManyRequests

HOUR = timedelta(hours=1)  # the window of every per-hour limit (RELIEF_*_MAX_PER_HOUR)


def hold_to(recent: Sequence[datetime], *, limit: int, now: datetime, what: str) -> None:
    """Refuse (429 with Retry-After) when ``recent`` — the moments of earlier requests in the
    last hour, oldest first — already holds ``limit``; the wait is until the oldest that counts
    leaves the hour."""
    if len(recent) < limit:
        return
    frees_at = recent[len(recent) - limit] + HOUR
    wait = max(1, math.ceil((frees_at - now).total_seconds()))
    raise TooManyRequests(
        f"at most {limit} {what} an hour; try again in {wait} seconds",
        retry_after=wait,
        code="rate-limited",
        params={"limit": limit, "what": what, "retry_after": wait},
    )
