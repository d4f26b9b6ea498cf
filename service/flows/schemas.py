from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

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


class NamedTask(BaseModel):
    id: str
    name: str
    name_en: str = ""


class FlowChanges(BaseModel):
    """What a version changed against the previous version of its key."""

    tasks_added: list[str] = []
    tasks_removed: list[str] = []
    tasks_renamed: list[RenamedTask] = []
    tasks_moved: list[Renamed] = Field(default=[], description="tasks whose lane changed")
    tasks_removed_named: list[NamedTask] = Field(
        default=[], description="the removed tasks with their names (empty for versions before)"
    )
    lanes_added: list[str] = []
    lanes_removed: list[str] = []
    # Elements the version diff finds added, removed and changed (GET /flows/{key}/diff);
    # null for versions stored before it was kept.
    elements_added: int | None = None
    elements_removed: int | None = None
    elements_changed: int | None = None
    # DMN files added, removed or changed (null: stored before the diff read them).
    decision_tables_changed: int | None = None


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
    default_deadlines: list[str] = Field(
        default=[],
        description="user tasks with no boundary timer: the catalogue's time limit of their step"
        " (else its default) is their deadline",
    )
    activated_at: datetime | None = Field(
        default=None,
        description="when a program first used this version; a version never activated may be"
        " deleted, an activated one only superseded",
    )


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


# --- a version diff (GET /flows/{key}/diff; service/flows/diff.py) ------------------------


class ElementRef(BaseModel):
    """A flow element as a person finds it: by name and lane, the id beside it."""

    id: str
    type: str = Field(description="the BPMN element: userTask, exclusiveGateway, endEvent…")
    name: str = Field(description="its Chinese name ('' when it has none)")
    name_en: str = ""
    lane: str | None = Field(description="the role code of its lane")
    after: str | None = Field(
        default=None,
        description="an unnamed element: the Chinese name of the element leading into it",
    )
    after_en: str | None = None
    on: str | None = Field(
        default=None,
        description="a boundary event: the Chinese name of the task it is attached to",
    )
    on_en: str | None = None


class DecisionRead(BaseModel):
    code: str
    name: str
    name_en: str
    hint: str = Field(default="", description="what the decision does, in Chinese")
    hint_en: str = ""


class TextChange(BaseModel):
    """A value that changed: a lane (role code), a type, a deadline (the timer's expression;
    null: the catalogue's default applies), an end's status, a script task's script or the
    expression of a timer that is no task's deadline (an intermediate timer event's)."""

    attribute: Literal["type", "lane", "deadline", "status", "script", "timer"]
    before: str | None
    after: str | None


class NameChange(BaseModel):
    attribute: Literal["name"] = "name"
    before: str
    after: str
    before_en: str
    after_en: str


class DecisionsChange(BaseModel):
    """The decisions a user task offers, before and after."""

    attribute: Literal["decisions"] = "decisions"
    before: list[DecisionRead]
    after: list[DecisionRead]


class FieldsChange(BaseModel):
    """The data a user task takes (field name → declaration), before and after."""

    attribute: Literal["fields"] = "fields"
    before: dict[str, str]
    after: dict[str, str]


class FlowChange(BaseModel):
    """An outgoing sequence flow, by the element it leads to: added, removed, or its
    condition, default, name or target changed (``target_before``: the element it led to
    before, when the same flow now leads elsewhere)."""

    attribute: Literal["flow"] = "flow"
    change: Literal["added", "removed", "changed"]
    target: ElementRef
    target_before: ElementRef | None = None
    flow_before: str | None = Field(description="the flow's id in the earlier version")
    flow_after: str | None = Field(description="the flow's id in the later version")
    condition_before: str | None = None
    condition_after: str | None = None
    default_before: bool = False
    default_after: bool = False
    name_before: str = ""
    name_after: str = ""
    name_before_en: str = ""
    name_after_en: str = ""


AttributeChange = Annotated[
    TextChange | NameChange | DecisionsChange | FieldsChange | FlowChange,
    Field(discriminator="attribute"),
]


class ElementDiff(ElementRef):
    """An element added (``changes`` say what it is: deadline, decisions, fields, flows),
    removed, or changed (``changes`` say what changed, attribute by attribute)."""

    change: Literal["added", "removed", "changed"]
    changes: list[AttributeChange] = []


class RuleChange(BaseModel):
    """One rule of a DMN table, by its id: added, removed or changed; each side as its
    input entries and its outputs, in the table's column order."""

    id: str
    description: str = ""
    change: Literal["added", "removed", "changed"]
    before: str | None = None
    after: str | None = None


class DecisionTableChange(BaseModel):
    """A DMN file of the version (by its file name): added, removed, or changed (its hit
    policy, columns or rules)."""

    file: str
    change: Literal["added", "removed", "changed"]
    hit_policy_before: str | None = None
    hit_policy_after: str | None = None
    inputs_before: list[str] = []
    inputs_after: list[str] = []
    outputs_before: list[str] = []
    outputs_after: list[str] = []
    rules: list[RuleChange] = []


class FlowDiff(BaseModel):
    """What changed from one version of a flow to another, element by element."""

    key: str
    from_version: int
    to_version: int
    added: list[ElementDiff]
    removed: list[ElementDiff]
    changed: list[ElementDiff]
    lanes_added: list[str]
    lanes_removed: list[str]
    decision_tables: list[DecisionTableChange] = Field(
        default=[], description="the version's DMN files added, removed or changed"
    )


class FlowProblemRead(BaseModel):
    """One reason a flow is refused, as an upload's ``errors[]`` lists it."""

    element: str | None = Field(description="the BPMN/DMN id it concerns")
    file: str | None = Field(description="the uploaded file it is in")
    reason: str = Field(description="in English; the console says it from code and params")
    code: str = Field(description="docs/problems.md")
    params: dict[str, Any]


class FlowCheck(BaseModel):
    """What an upload of the files would be told (POST /flows/validate): valid, or every
    problem found."""

    valid: bool
    problems: list[FlowProblemRead]
