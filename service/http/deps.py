"""The sessions routers take: ``SessionDep`` for reads, ``WriteSessionDep`` for commands
(one transaction each; see ``service/db.py``). The caller and role gates are in
``service/auth/dependencies.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import get_database


async def read_session() -> AsyncIterator[AsyncSession]:
    async with get_database().read_sessions() as session:
        yield session


async def write_session() -> AsyncIterator[AsyncSession]:
    async with get_database().write_sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(read_session)]
WriteSessionDep = Annotated[AsyncSession, Depends(write_session)]
