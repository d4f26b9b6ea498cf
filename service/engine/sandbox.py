"""Safe evaluation of the expressions and scripts inside flows.

SpiffWorkflow's default environment runs ``eval``/``exec`` on plain Python, and an empty
``__builtins__`` is escapable through ``().__class__.__subclasses__()``. Every gateway condition
and script is therefore compiled with RestrictedPython (no imports, no names or attributes that
start with an underscore, guarded attribute and item access), run with a short allow-list of
builtins and stopped when it exceeds a wall-clock bound.
"""

from __future__ import annotations

import ast
import sys
import time
from collections.abc import Callable
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from service.engine.errors import ExpressionTimeout, UnsafeExpression

ALLOWED_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "float", "int", "len", "list", "max", "min",
        "range", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    )
}  # fmt: skip
ALLOWED_BUILTINS.update({"True": True, "False": False, "None": None})

_GUARDS: dict[str, Any] = {
    "__builtins__": ALLOWED_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
}


def _refuse_power(tree: ast.AST) -> None:
    # ``**`` is how a one-line expression allocates gigabytes in a single C call that no
    # time bound can interrupt; approval conditions never need it.
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Pow):
            raise UnsafeExpression("the power operator ** is not allowed in flow expressions")


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile a condition (an expression); raise UnsafeExpression naming what is refused."""
    return _compile(source, mode="eval")


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    return _compile(source, mode="exec")


def _compile(source: str, *, mode: str) -> CodeType:
    try:
        _refuse_power(ast.parse(source, mode=mode))
    except SyntaxError as error:
        raise UnsafeExpression(f"syntax error in {source!r}: {error.msg}") from None
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source)
    if result.errors or result.code is None:
        raise UnsafeExpression(f"refused {source!r}: " + "; ".join(result.errors))
    return result.code


def _run_bounded(func: Callable[[], Any], timeout_s: float) -> Any:
    """Run ``func`` with a line tracer that stops it once the deadline has passed."""
    deadline = time.monotonic() + timeout_s

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise ExpressionTimeout(f"flow expression exceeded {timeout_s * 1000:.0f} ms")
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return func()
    finally:
        sys.settrace(previous)


def _context(data: dict[str, Any]) -> dict[str, Any]:
    scope = {key: value for key, value in data.items() if not key.startswith("_")}
    scope.update(_GUARDS)
    return scope


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment backed by RestrictedPython."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__({})
        self.timeout_s = timeout_s

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        code = compile_expression(expression)
        scope = _context(context)
        return _run_bounded(lambda: eval(code, scope), self.timeout_s)  # noqa: S307 - restricted

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code = compile_script(script)
        scope = _context(context)
        _run_bounded(lambda: exec(code, scope), self.timeout_s)  # noqa: S102 - restricted
        for key, value in scope.items():
            if not key.startswith("_") and key not in ALLOWED_BUILTINS and not callable(value):
                context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise UnsafeExpression("service tasks are not available to flows")


class RestrictedScriptEngine(PythonScriptEngine):
    def __init__(self, timeout_s: float) -> None:
        super().__init__(environment=RestrictedEnvironment(timeout_s))

    def validate(self, expression: str) -> None:
        compile_expression(expression)
