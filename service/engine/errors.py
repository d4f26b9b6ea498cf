"""Engine failures, as domain errors the API renders as problems (never a 500 traceback)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from service.errors import FlowError, InvalidInput, ReliefError, StaleTask


@dataclass(frozen=True)
class FlowProblem:
    """One reason a flow is refused, naming the element (BPMN/DMN id) where it can: an
    English ``reason`` for the API, and a registered ``code`` with its ``params`` that the
    console says in the page's language (service/http/codes.py, service/web/reasons.py)."""

    element: str | None
    reason: str
    file: str | None = None
    code: str = field(kw_only=True)
    params: Mapping[str, Any] = field(kw_only=True, default_factory=dict)

    def in_file(self, name: str | None, *, replace_file: bool = False) -> FlowProblem:
        """The same problem, naming ``name`` as its file (unless it names one already)."""
        return replace(self, file=name if replace_file or not self.file else self.file)

    def as_dict(self) -> dict[str, Any]:
        return {
            "element": self.element,
            "file": self.file,
            "reason": self.reason,
            "code": self.code,
            "params": dict(self.params),
        }


class InvalidFlow(InvalidInput):
    """A BPMN or DMN document was refused: unsafe XML, schema violation, unsafe expression or
    a rule of the service; ``problems`` lists every reason found, not only the first."""

    type, title = "invalid-flow", "Invalid flow"

    def __init__(
        self,
        detail: str,
        *,
        problems: list[FlowProblem] | None = None,
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.problems = problems or [
            FlowProblem(None, detail, code=code or "flow-refused", params=params or {})
        ]
        super().__init__(detail, code=code, params=params)
        self.extra["errors"] = [problem.as_dict() for problem in self.problems]

    @classmethod
    def of(cls, problems: list[FlowProblem]) -> InvalidFlow:
        """One refusal listing ``problems``, each once (checks that run before and after the
        engine's parser may find the same problem)."""
        unique = {(p.element, p.file, p.code, p.reason): p for p in reversed(problems)}
        problems = list(reversed(unique.values()))
        count = len(problems)
        first = problems[0]
        where = f"{first.element}: " if first.element else ""
        more = f" (and {count - 1} more)" if count > 1 else ""
        return cls(
            f"the flow was refused: {where}{first.reason}{more}",
            problems=problems,
            code="flow-refused",
            # The reasons are English only (schema validators, the engine, the service's rules).
            params={
                "element": first.element,
                "file": first.file,
                "reason": first.reason,
                "more": count - 1,
            },
        )


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
        raise FlowError(
            f"the flow could not proceed: {error}", code="flow-failed", params={"error": str(error)}
        ) from None
