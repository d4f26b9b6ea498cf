"""When a failed job runs again: doubling pauses, then an incident for a person to look at."""

from __future__ import annotations

from datetime import datetime, timedelta

from service.config import get_settings


def next_attempt_at(attempts: int, now: datetime) -> datetime | None:
    """After ``attempts`` failed tries: when to try again, or None when it is time to stop
    and open an incident (``RELIEF_JOB_MAX_ATTEMPTS``, pauses from ``RELIEF_JOB_BACKOFF_SECONDS``
    doubling: 30 s, 1 min, 2 min, 4 min … by default)."""
    settings = get_settings()
    if attempts >= settings.job_max_attempts:
        return None
    return now + timedelta(seconds=settings.job_backoff_seconds * 2 ** max(attempts - 1, 0))
