"""The region tree over the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from service.places.merges import Merged
from service.regions.models import Region
from service.regions.service import Node

RegionCode = Annotated[str, Field(pattern=r"^(\d{6}|\d{9}|\d{12})$", examples=["130123100203"])]


class RegionCreate(BaseModel):
    code: RegionCode = Field(description="9 digits: a township; 12: a village")
    name: str = Field(max_length=200, description="1 to 100 characters")
    parent: RegionCode | None = Field(
        default=None, description="optional: the code is checked to start with it"
    )


class RegionRename(BaseModel):
    name: str = Field(max_length=200, description="1 to 100 characters")


class MergeRequest(BaseModel):
    into: RegionCode = Field(description="the region of the same level and county taking over")


class RegionRead(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None
    current: bool
    merged_into: str | None = Field(description="the successor, when this region was merged")
    merged_at: datetime | None
    merged_from: list[str] = Field(description="codes merged into this region")
    children: list[RegionRead] = []

    @classmethod
    def of(cls, node: Node) -> RegionRead:
        return cls(
            **_plain(node.region),
            merged_from=node.merged_from,
            children=[cls.of(child) for child in node.children],
        )

    @classmethod
    def of_region(cls, region: Region) -> RegionRead:
        return cls(**_plain(region), merged_from=[])


def _plain(region: Region) -> dict[str, object]:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent": region.parent_code,
        "current": region.merged_into is None,
        "merged_into": region.merged_into,
        "merged_at": region.merged_at,
    }


class MergeResult(BaseModel):
    region: str
    merged_into: str
    merged_at: datetime | None
    cases: int = Field(description="cases whose current village moved")
    tasks: int
    notices: int
    users: list[str] = Field(description="usernames moved to the successor")
    villages: dict[str, str] = Field(description="a township's villages: old → new code")

    @classmethod
    def of(cls, done: Merged) -> MergeResult:
        return cls(
            region=done.source.code,
            merged_into=done.into.code,
            merged_at=done.source.merged_at,
            cases=done.cases,
            tasks=done.tasks,
            notices=done.notices,
            users=done.users,
            villages=done.villages,
        )
