from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from service.applications.schemas import TaskSummary
from service.errors import ItemProblem
from service.text import FreeText

MAX_DATA_FIELDS = 20
MAX_SAFE_INTEGER = 2**53 - 1
# Names a flow's expressions can read: lower-case identifiers. "typename" is how the engine's
# serializer marks objects to rebuild; a user value carrying it would corrupt the case's state.
DATA_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED_KEYS = frozenset({"typename", "decision", "comment"})

# Task data is a flat record of plain values: it enters the workflow state that every later
# step reloads, so nothing nested, nothing the engine might interpret, nothing unbounded.
DataValue = Annotated[
    StrictBool
    | Annotated[int, Field(strict=True, ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]
    | Annotated[float, Field(strict=True, allow_inf_nan=False)]
    | Annotated[str, Field(max_length=500)]
    | None,
    Field(union_mode="left_to_right"),
]


class Decision(BaseModel):
    decision: Literal["approve", "reject", "return"]
    comment: FreeText | None = Field(default=None, max_length=2000, validate_default=True)
    # Checked here for shape; what a task takes is its declaration in the flow
    # (service/engine/fields.py), checked when the engine completes it.
    data: dict[str, DataValue] = Field(default_factory=dict, max_length=MAX_DATA_FIELDS)

    @field_validator("comment")
    @classmethod
    def _reason_to_refuse(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A household is told why it was turned down or sent back: in words, not silence.
        if info.data.get("decision") in ("reject", "return") and not (value or "").strip():
            raise PydanticCustomError(
                "comment-required",
                "a {decision} needs a comment giving the reason, in words the applicant "
                "can understand",
                {"decision": info.data["decision"]},
            )
        return value

    @field_validator("data", mode="before")
    @classmethod
    def _safe_integers(cls, value: Any) -> Any:
        # Checked before the union, which would otherwise turn a huge integer into a float.
        if isinstance(value, dict):
            for key, item in value.items():
                is_integer = isinstance(item, int) and not isinstance(item, bool)
                if is_integer and abs(item) > MAX_SAFE_INTEGER:
                    raise PydanticCustomError(
                        "data-integer-too-large",
                        f"data {key!r}: integers are limited to ±2**53",
                        {"key": key, "max": MAX_SAFE_INTEGER},
                    )
        return value

    @field_validator("data")
    @classmethod
    def _plain_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not DATA_KEY.match(key) or key in RESERVED_KEYS:
                raise PydanticCustomError(
                    "data-key-invalid",
                    f"data key {key!r}: use a lower-case name (a-z, 0-9, _) other than "
                    + ", ".join(sorted(RESERVED_KEYS)),
                    {"key": key, "reserved": sorted(RESERVED_KEYS)},
                )
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


MAX_BULK_ITEMS = 500


class BulkItem(Decision):
    task_id: int = Field(ge=1, le=2**31 - 1)


class BulkRequest(BaseModel):
    """Many decisions at once (集中申报复核): each item is completed on its own."""

    items: list[BulkItem] = Field(min_length=1, max_length=MAX_BULK_ITEMS)

    @field_validator("items")
    @classmethod
    def _each_task_once(cls, items: list[BulkItem]) -> list[BulkItem]:
        seen: set[int] = set()
        for item in items:
            if item.task_id in seen:
                raise PydanticCustomError(
                    "task-listed-twice",
                    "task {task_id} is listed twice",
                    {"task_id": item.task_id},
                )
            seen.add(item.task_id)
        return items


class BulkItemResult(BaseModel):
    task_id: int
    result: Literal["done", "refused"]
    status: str | None = None  # the case's status after a completion
    problem: ItemProblem | None = None  # why a refused item changed nothing


class BulkResult(BaseModel):
    done: int
    refused: int
    items: list[BulkItemResult]


class ReassignRequest(BaseModel):
    """Hand a claimed or overdue task to another user (改派), saying why."""

    to: str = Field(min_length=1, max_length=64, description="the username of the new holder")
    # 1 to 500 characters once trimmed, checked by the service (the console calls it too).
    reason: str = Field(max_length=2000, description="why, in 1 to 500 characters")


class CandidateRead(BaseModel):
    """A user a task may be handed to."""

    username: str
    full_name: str
