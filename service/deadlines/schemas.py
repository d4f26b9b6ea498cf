from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class OverdueByTownship(BaseModel):
    township: str
    name: str | None
    overdue: int


class OverdueByPerson(BaseModel):
    role: str
    user: str | None = Field(description="who claimed the tasks; null: unclaimed, the whole role")
    overdue: int


class OverdueTask(BaseModel):
    id: int
    application_id: int
    spec: str
    name: str
    role: str
    village_code: str
    due_at: datetime | None
    escalated_at: datetime | None
    created_at: datetime


class OverdueReport(BaseModel):
    as_of: datetime
    total: int
    by_township: list[OverdueByTownship]
    by_person: list[OverdueByPerson]
    tasks: list[OverdueTask]
