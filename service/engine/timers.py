"""SpiffWorkflow's timers on the service's clock.

SpiffWorkflow reads ``datetime.now`` inside its timer definitions. Pointing that module at the
service's clock makes deadlines follow ``service.clock.utcnow``, which tests move
(``RELIEF_CLOCK_FILE``) instead of sleeping, and which every worker shares.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from service.clock import utcnow


class _ServiceClock(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:  # the signature SpiffWorkflow calls
        moment = utcnow()
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


spiff_timer.datetime = _ServiceClock

ONE_SHOT = (TimeDateEventDefinition, DurationTimerEventDefinition)


def _one_shot(definition: Any) -> bool:
    if isinstance(definition, MultipleEventDefinition):
        # An event-based gateway holds the timers of the events behind it (a notice period).
        return any(isinstance(inner, ONE_SHOT) for inner in definition.event_definitions)
    return isinstance(definition, ONE_SHOT)


def due_of(task: Any) -> datetime | None:
    """When a waiting one-shot timer task fires (its value is set when it starts waiting)."""
    if not _one_shot(getattr(task.task_spec, "event_definition", None)):
        return None
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    try:
        moment = TimerEventDefinition.parse_time_or_duration(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromisoformat(moment.isoformat())  # a plain datetime, not the clock class


def has_boundary_timer(task_spec: Any) -> bool:
    """Whether a one-shot timer sits on the task's boundary: a deadline of the flow's own."""
    for parent in task_spec.inputs:
        if isinstance(parent, BoundaryEventSplit):
            return any(
                other is not task_spec and _one_shot(getattr(other, "event_definition", None))
                for other in parent.outputs
            )
    return False


def untimed_tasks(spec: Any, subprocess_specs: dict[str, Any]) -> tuple[str, ...]:
    """The BPMN ids of the flow's user tasks with no timer on their boundary: the service
    gives them the catalogue's deadline (service/deadlines)."""
    specs = [spec, *subprocess_specs.values()]
    return tuple(
        dict.fromkeys(
            task.bpmn_id
            for one in specs
            for task in one.task_specs.values()
            if task.manual and task.bpmn_id and not has_boundary_timer(task)
        )
    )
