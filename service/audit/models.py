from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One link of a county's hash chain. Never updated or deleted (database triggers refuse)."""

    __tablename__ = "audit_event"
    # Auditor queries page by id inside one county: each filter has an index that ends in id,
    # so a page reads its rows in order instead of sorting them; (county, at, id) finds where
    # a time window begins and ends in that order (service/audit/queries.py).
    __table_args__ = (
        UniqueConstraint("county", "seq"),
        Index("ix_audit_event_application_id_id", "application_id", "id"),
        Index("ix_audit_event_county_id", "county", "id"),
        Index("ix_audit_event_county_action_id", "county", "action", "id"),
        Index("ix_audit_event_county_role_id", "county", "role", "id"),
        Index("ix_audit_event_county_at_id", "county", "at", "id"),
        Index("ix_audit_event_actor_id", "actor", "id"),
        Index("ix_audit_event_region_id", "region", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    county: str = Field(max_length=6)
    seq: int
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=40)
    region: str | None = Field(default=None, max_length=12)
    action: str = Field(max_length=40)
    application_id: int | None = None
    task_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    comment: str | None = Field(default=None, max_length=2000)
    request_id: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The latest link of each county's chain; its row lock serialises appends."""

    __tablename__ = "audit_head"

    county: str = Field(primary_key=True, max_length=6)
    seq: int
    hash: str = Field(max_length=64)


class AuditAnchor(SQLModel, table=True):
    """A county chain's head (sequence and hash) as it stood at one moment, signed.

    Printed for storage outside the database as well (``relief audit anchor``): a tail deleted
    later, with the head row rewound, still shows, because an anchored head is gone. Never
    updated or deleted (database triggers refuse).
    """

    __tablename__ = "audit_anchor"
    __table_args__ = (UniqueConstraint("county", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    county: str = Field(max_length=6)
    seq: int
    hash: str = Field(max_length=64)
    signed_at: datetime = Field(sa_type=UTCDateTime)
    key_id: str = Field(max_length=16)  # which key signed: the first hex of its SHA-256
    signature: str = Field(max_length=128)  # HMAC-SHA256, hex
