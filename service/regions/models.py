from __future__ import annotations

from sqlmodel import Field, SQLModel

COUNTY, TOWNSHIP, VILLAGE = "county", "township", "village"


class Region(SQLModel, table=True):
    """A node of the county → township → village tree; codes nest by prefix (6/9/12 digits)."""

    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    level: str = Field(max_length=16)
    parent_code: str | None = Field(default=None, foreign_key="region.code", index=True)
