"""Helpers for the auditor's views: reading a trail over HTTP and SQL, and growing one fast."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from harness import Backend
from service.audit.chain import link_hash
from service.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from service.db import UTCDateTime

if TYPE_CHECKING:  # bench/audit_queries.py imports this module, and never tests.conftest
    from tests.conftest import Api

EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
HEADS = AuditHead.__table__  # type: ignore[attr-defined]


def read_all(api: Api, path: str = "/audit/events", *, as_: str, **params: Any) -> list[dict]:
    """Every event a query returns, following ``next_cursor`` to the end."""
    events: list[dict] = []
    cursor = None
    while True:
        response = api.get(
            path, as_=as_, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        events.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return events


def ids_where(backend: Backend, where: str, **params: object) -> list[int]:
    """The ids of the events matching a plain SQL condition, in id order (the test oracle)."""
    statement = sa.text(f"SELECT id FROM audit_event WHERE {where} ORDER BY id")
    # Instants bound as the service binds them (SQLite compares the stored text).
    instants = [name for name, value in params.items() if isinstance(value, datetime)]
    statement = statement.bindparams(*(sa.bindparam(name, type_=UTCDateTime) for name in instants))
    with backend.engine.connect() as connection:
        return list(connection.execute(statement, params).scalars())


def synthetic_events(
    county: str, villages: list[str], count: int, *, start: datetime | None = None
) -> Iterable[dict[str, Any]]:
    """Plausible events of a county: cases in its villages, several actors, roles and actions,
    one every few seconds from ``start``."""
    rng = random.Random(county)
    at = start or datetime(2026, 1, 1, tzinfo=UTC)
    actions = [
        ("application_submitted", "caseworker"),
        ("document_added", "caseworker"),
        ("document_added", "caseworker"),
        ("task_completed", "caseworker"),
        ("task_completed", "village_head"),
        ("task_completed", "township_reviewer"),
        ("task_completed", "county_approver"),
        ("payout_paid", "finance_officer"),
        ("action_refused", "village_head"),
    ]
    for number in range(count):
        action, role = actions[number % len(actions)]
        village = villages[rng.randrange(len(villages))]
        at += timedelta(seconds=rng.randint(1, 20))
        yield {
            "county": county,
            "at": at,
            "actor": f"{role[:2]}.{village[-5:]}.{rng.randrange(3)}",
            "role": role,
            "region": village,
            "action": action,
            "application_id": 10_000_000 + number // len(actions),
            "task_id": None,
            "before": None,
            "after": {"n": number},
            "comment": None,
            "request_id": f"synthetic-{number}",
        }


def append_events(
    engine: sa.Engine, county: str, events: Iterable[dict[str, Any]], *, batch: int = 5000
) -> int:
    """Append events to a county's chain with plain INSERTs (all the append-only table
    allows), linked as the service links them, then move the chain's head forward."""
    with engine.begin() as connection:
        head = connection.execute(
            sa.select(HEADS.c.seq, HEADS.c.hash).where(HEADS.c.county == county)
        ).first()
        seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        rows: list[dict[str, Any]] = []
        written = 0
        for fields in events:
            seq += 1
            fields = {**fields, "county": county, "seq": seq}
            digest = link_hash(prev_hash, fields)
            rows.append({**fields, "prev_hash": prev_hash, "hash": digest})
            prev_hash = digest
            if len(rows) >= batch:
                connection.execute(EVENTS.insert(), rows)
                written, rows = written + len(rows), []
        if rows:
            connection.execute(EVENTS.insert(), rows)
            written += len(rows)
        if head is None:
            connection.execute(HEADS.insert().values(county=county, seq=seq, hash=prev_hash))
        else:
            connection.execute(
                HEADS.update().where(HEADS.c.county == county).values(seq=seq, hash=prev_hash)
            )
    return written
