"""Running workflow instances: start, resume from stored state, complete a task, store state.

An instance's stored state holds only its own tasks and data. The spec is keyed by flow version
and comes from the spec cache, which halves the size and the time of every save and load.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

# Flows are parsed by SpiffArena's parser, whose signal definitions are its own subclass; an
# event is caught only by a definition of its exact class.
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from service.config import get_settings
from service.engine.elements import SERVICE_SIGNALS
from service.engine.errors import TaskNotReady, engine_call
from service.engine.fields import SERVICE_WRITTEN, FieldSpec, check_data
from service.engine.names import spec_names
from service.engine.sandbox import RestrictedScriptEngine
from service.engine.specs import ParsedFlow
from service.engine.timers import due_of, has_boundary_timer
from service.errors import InvalidInput

STATE_FORMAT = "relief-instance-1"


class _InstanceOnlyConverter(BpmnWorkflowConverter):
    """Serialises a workflow without its spec; the spec is supplied again on restore."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], **kwargs: Any) -> BpmnWorkflow:
        flow: ParsedFlow = kwargs["flow"]
        workflow = self.target_class(flow.spec, flow.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


# SpiffArena's converters: flows are parsed by its parser, and what a waiting event caught
# (a signal) is stored with its definition's class.
_registry = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _InstanceOnlyConverter})


def decode_state(state: bytes) -> bytes:
    """A stored state's JSON: zlib-compressed, or plain JSON as stored before compression."""
    return state if state[:1] == b"{" else zlib.decompress(state)


@dataclass(frozen=True)
class Completed:
    """What a completion did to the task's data."""

    fields: tuple[FieldSpec, ...]  # what the task declares (or the defaults it was given)
    values: dict[str, Any]  # the data it took, checked
    changes: dict[str, tuple[Any, Any]]  # field → (before, after), only where it changed
    # Values of fields that change what is paid which differ from what the county approved.
    proposed: dict[str, Any]


def _refuse_service_variables(values: dict[str, Any], service_set: dict[str, Any]) -> None:
    for name in values:
        if name in service_set or name in SERVICE_WRITTEN:
            raise InvalidInput(
                f"data {name!r}: the service sets this variable; a task cannot change it",
                field=f"data.{name}",
                code="data-field-reserved",
                params={"field": name},
            )


@dataclass(frozen=True)
class ReadyTask:
    engine_task_id: str
    spec: str
    name: str  # Chinese, and ``name_en`` English (service/engine/names.py)
    lane: str | None
    # The task's deadline, from a timer on its boundary; and whether that timer has fired.
    due_at: datetime | None = None
    overdue: bool = False
    name_en: str = ""
    # Whether a timer on its boundary gives the deadline; if not, the service gives the
    # catalogue's (service/deadlines), on a calendar the engine does not know.
    timed: bool = True


def _script_engine() -> RestrictedScriptEngine:
    return RestrictedScriptEngine(get_settings().expression_timeout_ms / 1000)


class Instance:
    """One case's workflow, loaded for a single command."""

    def __init__(self, workflow: BpmnWorkflow, flow: ParsedFlow) -> None:
        self.workflow = workflow
        self.flow = flow  # its version's spec, and what the spec's user tasks declare

    @classmethod
    def start(cls, flow: ParsedFlow, data: dict[str, Any]) -> Instance:
        with engine_call():
            workflow = BpmnWorkflow(
                flow.spec, flow.subprocess_specs, script_engine=_script_engine()
            )
            workflow.data.update(data)
            workflow.task_tree.data.update(data)
            workflow.do_engine_steps()
        return cls(workflow, flow)

    @classmethod
    def load(cls, flow: ParsedFlow, state: bytes) -> Instance:
        with engine_call():
            dct = orjson.loads(decode_state(state))
            dct.pop("format", None)
            workflow = _registry.restore(dct, flow=flow)
            # The script engine is not serialised: set the sandbox again after every load.
            workflow.script_engine = _script_engine()
        return cls(workflow, flow)

    def dump(self) -> bytes:
        dct = _registry.convert(self.workflow)
        dct["format"] = STATE_FORMAT
        # The JSON repeats task ids and state names: zlib at its fastest level stores a case in
        # about a fifth of the bytes for some tens of microseconds.
        return zlib.compress(orjson.dumps(dct), level=1)

    def ready_tasks(self) -> list[ReadyTask]:
        ready = []
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            name, name_en = spec_names(task.task_spec)
            ready.append(
                ReadyTask(
                    engine_task_id=str(task.id),
                    spec=task.task_spec.bpmn_id,
                    name=name,
                    name_en=name_en,
                    lane=task.task_spec.lane,
                    timed=has_boundary_timer(task.task_spec),
                    **self._deadline(task),
                )
            )
        return ready

    @staticmethod
    def _deadline(task: Any) -> dict[str, Any]:
        """The first timer on the task's boundary: due when it waits, overdue once fired."""
        parent = task.parent
        if parent is None or not parent.task_spec.name.endswith(".BoundaryEventSplit"):
            return {}
        for sibling in parent.children:
            if sibling is task:
                continue
            if sibling.state == TaskState.COMPLETED and due_of(sibling) is not None:
                return {"due_at": due_of(sibling), "overdue": True}
            due = due_of(sibling) if sibling.state == TaskState.WAITING else None
            if due is not None:
                return {"due_at": due, "overdue": False}
        return {}

    @property
    def data(self) -> dict[str, Any]:
        """The workflow's data (a copy): what the case put there at start, and what its steps
        added."""
        return dict(self.workflow.data)

    def next_timer_at(self) -> datetime | None:
        """When the earliest waiting timer of the workflow is due (None: no timer waits)."""
        dues = [due_of(task) for task in self.workflow.get_tasks(state=TaskState.WAITING)]
        found = [due for due in dues if due is not None]
        return min(found) if found else None

    def waiting_at(self) -> list[str]:
        """The BPMN ids of the events the workflow waits at (timers, gateways, signals)."""
        return [
            task.task_spec.bpmn_id
            for task in self.workflow.get_tasks(state=TaskState.WAITING)
            if task.task_spec.bpmn_id
        ]

    def due_at(self, element_prefix: str) -> datetime | None:
        """When the waiting timer of an element whose id starts with ``element_prefix`` is due
        (a public notice's end), or None."""
        for task in self.workflow.get_tasks(state=TaskState.WAITING):
            if (task.task_spec.bpmn_id or "").startswith(element_prefix):
                due = due_of(task)
                if due is not None:
                    return due
        return None

    def signal(self, name: str) -> None:
        """Deliver one of the service's signals to the event the workflow waits at, and run
        the engine to the next wait. A workflow not waiting for it is refused, unchanged."""
        if name not in SERVICE_SIGNALS:
            raise ValueError(f"{name!r} is not a signal the service sends")
        with engine_call():
            try:
                self.workflow.send_event(BpmnEvent(SignalEventDefinition(name)))
            except WorkflowException:
                raise TaskNotReady(
                    f"the workflow is not waiting for {name!r}",
                    code="workflow-not-waiting",
                    params={"signal": name},
                ) from None
            self.workflow.refresh_waiting_tasks()
            self.workflow.do_engine_steps()

    def fire_timers(self) -> None:
        """Fire every timer whose moment has come and run the engine to the next wait."""
        with engine_call():
            self.workflow.refresh_waiting_tasks()
            self.workflow.do_engine_steps()

    def complete(
        self,
        engine_task_id: str,
        *,
        lane: str,
        decision: str,
        comment: str,
        data: dict[str, Any],
        default_fields: tuple[FieldSpec, ...] = (),
        approved: dict[str, Any] | None = None,
    ) -> Completed:
        """Complete one READY manual task in ``lane`` and run the engine to the next wait.

        ``data`` must be what the task declares (``default_fields`` where it declares
        nothing); it can never overwrite a variable the service set when the instance
        started. ``approved`` holds the values the county approved of fields that change what
        is paid: a value the case's tasks now hold that differs is a proposal, and the flow
        sees ``changes_money`` true (its gateways send such a change to the county).
        """
        task = self._ready_task(engine_task_id, lane)
        # Declarations were read when the flow was parsed (ParsedFlow.user_tasks).
        declared = self.flow.user_task(task.task_spec.bpmn_id)
        fields = (declared.fields if declared else ()) or default_fields
        values = check_data(fields, data, approving=decision == "approve")
        _refuse_service_variables(values, self.workflow.data)
        approved = approved or {}
        before = {name: task.data.get(name, approved.get(name)) for name in values}
        with engine_call():
            task.data.update(values)
            proposed = self.proposed(engine_task_id, approved)
            task.data.update(changes_money=bool(proposed), decision=decision, comment=comment)
            task.run()
            self.workflow.do_engine_steps()
        changes = {
            name: (before[name], value) for name, value in values.items() if before[name] != value
        }
        return Completed(fields=fields, values=values, changes=changes, proposed=proposed)

    def proposed(self, engine_task_id: str, approved: dict[str, Any]) -> dict[str, Any]:
        """What the case's earlier tasks propose, as a ready task sees it: the values of
        ``approved``'s fields that differ from it (what a county approver decides on)."""
        try:
            task = self.workflow.get_task_from_id(UUID(engine_task_id))
        except (TaskNotFoundException, ValueError):
            return {}
        return {
            name: task.data[name]
            for name in approved
            if task.data.get(name) is not None and task.data[name] != approved[name]
        }

    def _ready_task(self, engine_task_id: str, lane: str) -> Any:
        try:
            task = self.workflow.get_task_from_id(UUID(engine_task_id))
        except (TaskNotFoundException, ValueError):
            raise TaskNotReady(
                "the task is not part of this case's workflow", code="task-not-in-workflow"
            ) from None
        # task.run() does not check state: it would happily run a FUTURE task.
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(
                "the task is not ready: it was completed or moved on", code="task-moved-on"
            )
        if task.task_spec.lane != lane:
            raise TaskNotReady("the task is not in the caller's lane", code="task-not-in-lane")
        return task

    def cancel(self) -> None:
        """End the workflow where it stands (a withdrawn or revoked case): no task stays ready."""
        with engine_call():
            self.workflow.cancel()

    def outcome(self) -> str | None:
        """How the workflow ended, as ``end_<status>``, once it has finished: the status the
        end event reached gives a case (engine/conventions.py: its ``status`` property, its
        id ``end_<status>`` or its name); the end of an escalation path is not one."""
        if not self.workflow.is_completed():
            return None
        ends = [
            self.flow.status_of(task.task_spec.bpmn_id)
            for task in self.workflow.get_tasks(state=TaskState.COMPLETED)
            if isinstance(task.task_spec, EndEvent) and task.task_spec.bpmn_id
        ]
        statuses = [status for status in ends if status is not None]
        return f"end_{statuses[-1]}" if statuses else None
