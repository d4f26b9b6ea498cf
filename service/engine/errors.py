"""Engine failures, as domain errors the API renders as problems (never a 500 traceback)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from service.errors import FlowError, InvalidInput, ReliefError, StaleTask


class InvalidFlow(InvalidInput):
    """A BPMN document was refused: unsafe XML, schema violation or an unsafe expression."""

    type, title = "invalid-flow", "Invalid flow"


class UnsafeExpression(FlowError):
    type, title = "unsafe-expression", "Expression refused by the sandbox"


class ExpressionTimeout(FlowError):
    type, title = "expression-timeout", "Expression ran too long"


class TaskNotReady(StaleTask):
    """The engine task is not READY (already done, cancelled, or not reached yet)."""


@contextmanager
def engine_call() -> Iterator[None]:
    """Turn any failure inside SpiffWorkflow into a domain error (422), never a 500."""
    try:
        yield
    except ReliefError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever the engine raised, the flow is stuck
        # SpiffWorkflow wraps what a sandboxed expression raised (timeout, refusal).
        cause = getattr(error, "exception", None) or error.__cause__
        if isinstance(cause, ReliefError):
            raise cause from None
        raise FlowError(f"the flow could not proceed: {error}") from None
