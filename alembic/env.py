"""Alembic environment: the database of the settings (or of ``-x url=…``), async drivers."""

from __future__ import annotations

import asyncio

from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

import service.models  # noqa: F401 - registers every table on the metadata
from alembic import context
from service.config import async_database_url, get_settings
from service.db import metadata

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("url")
    # A URL given here is read as RELIEF_DATABASE_URL is: plain sqlite:// and postgresql://
    # run on the async drivers.
    return async_database_url(url) if url else get_settings().database_url


def _configure(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run_sync(connection) -> None:  # noqa: ANN001
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = _url()
    if url.startswith("sqlite"):
        from pathlib import Path

        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
