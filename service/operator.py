"""What the operator's ``relief`` commands share: one session of the configured database per
command, and the name the trail gives the operator (``cli:<login>``)."""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the database is imported when a command needs it: ``relief --help``
    # and a refusal of the settings stay quick and free of its import
    from sqlmodel.ext.asyncio.session import AsyncSession


async def in_session(work: Callable[[AsyncSession], Awaitable[Any]], *, write: bool = True) -> Any:
    """Run ``work(session)`` in one session of the configured database, then close the
    engines (a command is the process's only work)."""
    from service.db import get_database

    database = get_database()
    sessions = database.write_sessions if write else database.read_sessions
    try:
        async with sessions() as session:
            return await work(session)
    finally:
        await database.dispose()


def name() -> str:
    """The operator as the trail names them: the login running the command."""
    return f"cli:{getpass.getuser()}"[:64]
