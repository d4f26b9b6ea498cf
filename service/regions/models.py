from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.db import UTCDateTime

COUNTY, TOWNSHIP, VILLAGE = "county", "township", "village"


class Region(SQLModel, table=True):
    """A node of the county → township → village tree; codes nest by prefix (6/9/12 digits)."""

    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    level: str = Field(max_length=16)
    parent_code: str | None = Field(default=None, foreign_key="region.code", index=True)
    # A region merged into another is kept (cases keep the code they were submitted under)
    # but is no longer part of the current tree: nothing new is submitted to it and nobody
    # works in it; ``merged_into`` names the region that took it over, ``merged_at`` when.
    merged_into: str | None = Field(default=None, foreign_key="region.code", max_length=12)
    merged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def current(self) -> bool:
        return self.merged_into is None
