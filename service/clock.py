"""The service's notion of now. One place, so tests and the worker can move time.

With ``RELIEF_CLOCK_FILE`` set (never in production) the file says what time it is: an ISO 8601
instant ("2027-03-01T08:00:00+08:00") or an offset from real time in seconds ("+259200"). Every
process of a test (server, worker, command) reads the same file, so a test moves time for all
of them at once. The file is read again only when it changes.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from threading import Lock
from zoneinfo import ZoneInfo

from service.config import get_settings

_lock = Lock()
_cached: tuple[Path, tuple[int, int], str] | None = None


def _clock_text(path: Path) -> str:
    global _cached
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return ""
    stamp = (info.st_ino, info.st_mtime_ns)  # set_clock replaces the file: a new inode
    with _lock:
        if _cached is not None and _cached[0] == path and _cached[1] == stamp:
            return _cached[2]
    text = path.read_text(encoding="utf-8").strip()
    with _lock:
        _cached = (path, stamp, text)
    return text


def utcnow() -> datetime:
    real = datetime.now(UTC)
    path = get_settings().clock_file
    if path is None:
        return real
    text = _clock_text(path)
    if not text:
        return real
    if text[0] in "+-":
        return real + timedelta(seconds=float(text))
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def local_today() -> date:
    """Today's date where the offices are (China Standard Time by default)."""
    return utcnow().astimezone(ZoneInfo(get_settings().timezone)).date()


def local_year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first instants of ``year`` and of the next, where the offices are."""
    zone = ZoneInfo(get_settings().timezone)
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def set_clock(path: Path, value: datetime | timedelta) -> None:
    """Move the clock of every process reading ``path`` (tests only)."""
    if isinstance(value, timedelta):
        text = f"{value.total_seconds():+.0f}"
    else:
        text = value.astimezone(UTC).isoformat()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
