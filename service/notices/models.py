"""Public notices 公示 of county-approved cases, and the objections 举报 raised against them.

A notice keeps only masked copies of the household's name and ID number: the public table
never holds a full personal number, so no query of it can leak one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

# A notice is open during its window, held while an objection is examined, and then passed (the
# payout or enrolment goes ahead), revoked (an objection was upheld, or the county revoked the
# case) or returned (the case went back for correction; a new notice follows a new approval).
OPEN = "open"
HELD = "held"
PASSED = "passed"
REVOKED = "revoked"
RETURNED = "returned"
LIVE = (OPEN, HELD)

# How an objection was resolved by the county's review 核查举报.
DISMISSED = "dismissed"
UPHELD = "upheld"
SENT_BACK = "returned"


class PublicNotice(SQLModel, table=True):
    __tablename__ = "public_notice"
    __table_args__ = (
        Index("ix_public_notice_county_state_id", "county_code", "state", "id"),
        Index("ix_public_notice_application_id", "application_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id")
    program_code: str = Field(foreign_key="program.code", max_length=64)
    county_code: str = Field(max_length=6)
    township_code: str = Field(max_length=9)
    village_code: str = Field(foreign_key="region.code", max_length=12)
    name_masked: str = Field(max_length=100)
    id_number_masked: str = Field(max_length=18)
    # The amount announced: the one-time sum, or a yearly benefit's sum for the notice's year
    # (None when that year's base standard is not configured yet).
    amount_fen: int | None = None
    opens_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(max_length=16)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Objection(SQLModel, table=True):
    __table_args__ = (
        Index("ix_objection_source_received_at", "source", "received_at"),
        Index("ix_objection_application_id", "application_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="public_notice.id")
    application_id: int = Field(foreign_key="application.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    # How to reach the objector, if they chose to say (shown to the county only).
    contact: str | None = Field(default=None, max_length=100)
    # A keyed hash of the client address: enough to rate-limit, not to identify anyone.
    source: str = Field(max_length=64)
    received_at: datetime = Field(sa_type=UTCDateTime)
    resolution: str | None = Field(default=None, max_length=16)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: int | None = Field(default=None, foreign_key="user_account.id")
