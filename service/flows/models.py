from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class FlowVersion(SQLModel, table=True):
    """One immutable version of a BPMN flow; cases keep the version they started on."""

    __tablename__ = "flow_version"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        UniqueConstraint("key", "sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100)  # the BPMN process id
    version: int
    bpmn_xml: str = Field(sa_type=Text)
    # Of the BPMN alone, or of the BPMN's and each DMN's SHA-256 (engine.flow_digest).
    sha256: str = Field(max_length=64)
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=500)
    # The DMN decisions the flow's business rule tasks call: {file name: XML}.
    decisions: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    # What the flow holds, read once at upload: {"lanes": [...], "tasks": [...], "decisions"}.
    outline: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # What changed against the previous version of the key (null for version 1).
    changes: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # When a program first used it (activated, or bound by the catalogue): from then on it can
    # only be superseded, never deleted, since cases may run on it.
    activated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A version never activated may be deleted: its row stays as a tombstone (its number is
    # never given again, its content stays for auditors) and lists and activation skip it.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_by: str | None = Field(default=None, max_length=64)
