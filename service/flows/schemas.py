from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TaskOutline(BaseModel):
    id: str
    name: str  # Chinese, and English (service/engine/names.py)
    name_en: str = ""
    lane: str | None
    # The data the task takes: field name → its declaration ("integer min=1 max=2").
    fields: dict[str, str] = {}


class Renamed(BaseModel):
    id: str
    before: str | None
    after: str | None


class RenamedTask(Renamed):
    """A renamed task: its Chinese names before and after, and its English ones."""

    before_en: str | None = None
    after_en: str | None = None


class FlowChanges(BaseModel):
    """What a version changed against the previous version of its key."""

    tasks_added: list[str] = []
    tasks_removed: list[str] = []
    tasks_renamed: list[RenamedTask] = []
    tasks_moved: list[Renamed] = Field(default=[], description="tasks whose lane changed")
    lanes_added: list[str] = []
    lanes_removed: list[str] = []


class FlowVersionRead(BaseModel):
    key: str
    version: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    note: str | None
    decisions: list[str]
    lanes: list[str]
    tasks: list[TaskOutline]
    tasks_by_lane: dict[str, list[str]]
    changes: FlowChanges | None
    active: bool
    programs: list[str]
    created: bool = False


class VersionSummary(BaseModel):
    version: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    note: str | None
    active: bool


class FlowSummary(BaseModel):
    key: str
    latest_version: int
    active_version: int | None
    programs: list[str]
    versions: list[VersionSummary]


class Activation(BaseModel):
    program: str | None = Field(
        default=None,
        max_length=64,
        description="the program to bind; needed only when no program uses this flow's key yet",
    )


class ActivationRead(BaseModel):
    key: str
    version: int
    program: str
    previous_version: int | None
    changed: bool
