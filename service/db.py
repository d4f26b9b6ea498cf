"""Database engines, sessions and the column types the models share.

Two session kinds: ``read_sessions`` for reads and ``write_sessions`` for commands (the routers'
``SessionDep`` and ``WriteSessionDep`` in ``service/http/deps.py``). On PostgreSQL both
use one engine. On SQLite a write transaction starts with ``BEGIN IMMEDIATE``: writers queue on the
database lock instead of failing half-way with ``SQLITE_BUSY_SNAPSHOT`` (which would turn an
unrelated concurrent request into a spurious 409), while readers keep reading the WAL snapshot.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from service.config import Settings, get_settings

# Stable constraint names, so Alembic migrations can name what they alter.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on PostgreSQL and SQLite alike.

    SQLite has no time zone type and hands back naive values; every value we store is UTC, so
    reading one back re-attaches UTC instead of letting naive datetimes leak into responses.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the service stores UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


UNREADABLE: dict[str, Any] = {"unreadable": "…"}


def load_json(text: str | bytes) -> Any:
    """A JSON column's value: orjson's fast parse, or, for what it refuses (NaN, nesting past
    its 1,024 levels: stored before the service bounded what it takes), the standard parser
    with NaN as null, or ``UNREADABLE``: a stored value never makes a read fail."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(text, parse_constant=lambda _: None)
    except (ValueError, RecursionError):
        return dict(UNREADABLE)


def make_engine(settings: Settings, *, for_writes: bool = False) -> AsyncEngine:
    url = settings.database_url
    if settings.is_sqlite:
        path = settings.sqlite_path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite lets one writer in at a time. Writers of this process queue for the one write
        # connection in order, instead of each taking the file lock in turn through SQLite's
        # busy handler, whose growing sleeps (up to 100 ms each) gave 8 concurrent writers a
        # p99 of 2 s (bench/load.py). Other processes still meet the busy handler.
        pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 30} if for_writes else {}
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, json_deserializer=load_json, **pool
        )
        _configure_sqlite(engine, immediate=for_writes)
        return engine
    # Fail fast when the server is away, so requests get a 503 instead of hanging.
    connect_args = {"timeout": 5}  # asyncpg's: every PostgreSQL URL runs on it (config.py)
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        # No ping before each checkout (a round trip per request): a connection the server
        # dropped fails its first statement, which SQLAlchemy sees as a disconnect and answers
        # by discarding the whole pool; that one request gets 503 (problems.py) and the next
        # ones get new connections (tests/ops/test_database_loss.py).
        pool_pre_ping=False,
        connect_args=connect_args,
        # JSON columns are read far more than written (the trail, verify): the fast parser.
        json_deserializer=load_json,
    )


class Database:
    """The engines of one process; created lazily so settings can be overridden first."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.read_engine = make_engine(settings)
        self.write_engine = (
            make_engine(settings, for_writes=True) if settings.is_sqlite else self.read_engine
        )
        self.read_sessions = async_sessionmaker(
            self.read_engine, class_=AsyncSession, expire_on_commit=False
        )
        self.write_sessions = async_sessionmaker(
            self.write_engine, class_=AsyncSession, expire_on_commit=False
        )

    async def dispose(self) -> None:
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()


@lru_cache
def get_database() -> Database:
    return Database(get_settings())


def files_root() -> Path:
    root = get_settings().files_dir
    root.mkdir(parents=True, exist_ok=True)
    return root
