"""``relief backup`` and ``relief restore``."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Add the ``backup`` and ``restore`` commands to the ``relief`` parser."""
    del commands  # filled in by the backup work of issue 19
