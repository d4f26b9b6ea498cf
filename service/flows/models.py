from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.dbtypes import UTCDateTime


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
    sha256: str = Field(max_length=64)
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
