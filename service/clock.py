"""The service's notion of now. One place, so tests and the worker can move time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from service.config import get_settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date where the offices are (China Standard Time by default)."""
    return utcnow().astimezone(ZoneInfo(get_settings().timezone)).date()
