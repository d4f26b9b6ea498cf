from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from service.applications.schemas import TaskSummary

MAX_DATA_BYTES = 8 * 1024


class Decision(BaseModel):
    decision: Literal["approve", "reject", "return"]
    comment: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("data")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False, default=str)) > MAX_DATA_BYTES:
            raise ValueError(f"data exceeds {MAX_DATA_BYTES} bytes")
        if any(not isinstance(key, str) or key.startswith("_") for key in value):
            raise ValueError("data keys must not start with an underscore")
        return value


class TaskRead(TaskSummary):
    application_status: str | None = None
    village: str | None = None
    program: str | None = None


class CompletionResult(BaseModel):
    task: TaskSummary
    application_id: int
    status: str
    next_tasks: list[TaskSummary]
