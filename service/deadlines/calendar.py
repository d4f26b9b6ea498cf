"""Working days: weekdays minus holidays, plus the weekend days that are worked (调休).

The calendar is configuration (``RELIEF_CALENDAR_FILE``, by default workflows/calendar.yaml):
the national days of each year and each county's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from service.config import get_settings

WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / "workflows"


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
        day, counted = start, 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        return day


def _dates(values: Any) -> frozenset[date]:
    return frozenset(date.fromisoformat(str(value)) for value in values or [])


@lru_cache(maxsize=1)
def _calendar_file() -> dict[str, Any]:
    """The calendar file, read once per process (``load`` reads it at start-up: deadlines are
    computed inside the expression sandbox, whose per-opcode tracer makes parsing YAML there
    slow enough to hit the expression time limit)."""
    path = get_settings().calendar_file or WORKFLOWS_DIR / "calendar.yaml"
    loaded: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return loaded


def load() -> None:
    _calendar_file()


@lru_cache(maxsize=64)
def calendar_of(county: str | None) -> Calendar:
    loaded = _calendar_file()
    own = (loaded.get("counties") or {}).get(county or "", {}) or {}
    return Calendar(
        holidays=_dates(loaded.get("holidays")) | _dates(own.get("holidays")),
        workdays=_dates(loaded.get("workdays")) | _dates(own.get("workdays")),
    )


def due_after(start: datetime, working_days: int, *, county: str | None) -> datetime:
    """A step that starts at ``start`` with ``working_days`` to finish is due at the end of
    its last working day (midnight, office time): the day it arrives does not count."""
    zone = ZoneInfo(get_settings().timezone)
    last = calendar_of(county).add_working_days(start.astimezone(zone).date(), working_days)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
