"""Timers of case workflows (deadlines): fired by the worker when due. Filled in below."""

from __future__ import annotations

from datetime import datetime


async def fire_due(now: datetime, limit: int) -> int:
    return 0
