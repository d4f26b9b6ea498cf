"""``relief regions …``: the region tree from the command line."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Add the ``regions`` command and its subcommands to the ``relief`` parser."""
    del commands  # filled in by the places work of issue 19

