"""Engine failures, as domain errors the API renders as problems (never a 500 traceback)."""

from __future__ import annotations

from service.errors import FlowError, InvalidInput, StaleTask


class InvalidFlow(InvalidInput):
    """A BPMN document was refused: unsafe XML, schema violation or an unsafe expression."""

    type, title = "invalid-flow", "Invalid flow"


class UnsafeExpression(FlowError):
    type, title = "unsafe-expression", "Expression refused by the sandbox"


class ExpressionTimeout(FlowError):
    type, title = "expression-timeout", "Expression ran too long"


class TaskNotReady(StaleTask):
    """The engine task is not READY (already done, cancelled, or not reached yet)."""
