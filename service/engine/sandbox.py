"""Safe evaluation of the expressions and scripts inside flows.

SpiffWorkflow's default environment runs ``eval``/``exec`` on plain Python, and an empty
``__builtins__`` is escapable through ``().__class__.__subclasses__()``. Flows are untrusted
input, so every gateway condition and script is compiled with RestrictedPython under a stricter
policy than its default, and run with guards:

- refused at compile time (so a flow using them is refused at upload): imports, names and
  attributes starting with an underscore (RestrictedPython), loops and comprehensions, ``try``,
  function and class definitions, ``lambda``, ``global``, ``with``, ``yield``/``await``,
  ``raise``, f-strings and the power operator. Approval conditions and amount rules need none
  of them, and without loops every expression ends after a number of steps bounded by its
  own length;
- at run time: a short allow-list of builtins (``str`` of scalars only, ``sum`` of numbers
  only, ``range`` capped), attribute access limited to a list of harmless methods, ``*``, ``+``
  and ``<<`` refuse results larger than ``MAX_SIZE`` and ``%`` refuses string formatting
  (each would otherwise allocate gigabytes in one C call that no deadline can interrupt), and a
  per-opcode tracer stops anything still running at the deadline.

Naming a builtin outside the allow-list (``open``, ``getattr``, ``eval`` …) is refused at compile
time too, so an uploaded flow that tries is refused at upload with the name in the reason. A
separate process with memory and CPU limits would bound even what these lists miss.
"""

from __future__ import annotations

import ast
import builtins
import operator
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from service.clock import utcnow
from service.engine.errors import ExpressionTimeout, UnsafeExpression

MAX_SIZE = 10_000  # elements of a sequence, characters of a string, bits of an integer
MAX_RANGE = 1_000

_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.While: "loops",
    ast.For: "loops",
    ast.AsyncFor: "loops",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Try: "try/except",
    ast.TryStar: "try/except",
    ast.FunctionDef: "function definitions",
    ast.AsyncFunctionDef: "function definitions",
    ast.Lambda: "lambda",
    ast.ClassDef: "class definitions",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.With: "with",
    ast.AsyncWith: "with",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Await: "await",
    ast.Raise: "raise",
    # Format specs allocate in one C call ({0:>999999999}); flows build no text anyway.
    ast.JoinedStr: "f-strings",
}


class FlowExpressionPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, narrowed to the expression language of approval flows."""

    def visit(self, node: ast.AST) -> Any:
        refused = _REFUSED_NODES.get(type(node))
        if refused is not None:
            self.error(node, f"{refused}: not allowed in flow expressions")
            return node
        return super().visit(node)

    def visit_Name(self, node: ast.Name) -> Any:
        # Builtins outside the allow-list would only fail at run time (they are not in the
        # scope); naming them is refused at upload instead, so an admin learns at once.
        if node.id in _REFUSED_BUILTINS:
            self.error(node, f"{node.id}() is not allowed in flow expressions")
            return node
        return super().visit_Name(node)

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        if isinstance(node.op, ast.Pow):
            self.error(node, "the power operator ** is not allowed in flow expressions")
            return node
        if isinstance(node.op, ast.Mult | ast.Add | ast.LShift | ast.Mod):
            # Route size-changing operators through a guard that bounds their result.
            call = ast.Call(
                func=ast.Name("_binop_", ast.Load()),
                args=[ast.Constant(type(node.op).__name__), node.left, node.right],
                keywords=[],
            )
            return ast.fix_missing_locations(ast.copy_location(call, node))
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        if isinstance(node.op, ast.Pow):
            self.error(node, "the power operator ** is not allowed in flow expressions")
            return node
        return super().visit_AugAssign(node)


def _size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length()
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return 0


def _bounded(result: Any) -> Any:
    if _size(result) > MAX_SIZE:
        raise UnsafeExpression(
            f"a value in a flow expression exceeded {MAX_SIZE} elements",
            code="expression-too-large",
            params={"limit": MAX_SIZE},
        )
    return result


def _predict(op: str, left: Any, right: Any) -> int:
    """The size of the result, computed before the operation allocates it."""
    if op == "Mult":
        if isinstance(left, int) and isinstance(right, int):
            return _size(left) + _size(right)
        count = right if isinstance(right, int) else left if isinstance(left, int) else 0
        return max(_size(left), _size(right)) * max(count, 0)
    if op == "LShift" and isinstance(right, int):
        return _size(left) + max(right, 0)
    return _size(left) + _size(right)


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "Mult": operator.mul,
    "Add": operator.add,
    "LShift": operator.lshift,
    "Mod": operator.mod,
}
_INPLACE: dict[str, str] = {"+=": "Add", "*=": "Mult", "<<=": "LShift", "%=": "Mod"}
_PLAIN_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.sub,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    ">>=": operator.rshift,
    "&=": operator.and_,
    "|=": operator.or_,
    "^=": operator.xor,
}


def _binop(op: str, left: Any, right: Any) -> Any:
    if op == "Mod" and isinstance(left, str | bytes):
        # printf-style formatting: '%*d' % (2000000000, 0) allocates gigabytes in one call.
        raise UnsafeExpression(
            "string formatting with % is not allowed in flow expressions",
            code="expression-percent-format",
        )
    if _predict(op, left, right) > MAX_SIZE:
        raise UnsafeExpression(
            f"a value in a flow expression would exceed {MAX_SIZE} elements",
            code="expression-too-large",
            params={"limit": MAX_SIZE},
        )
    return _bounded(_OPERATORS[op](left, right))


def _inplacevar(op: str, left: Any, right: Any) -> Any:
    if op in _INPLACE:
        return _binop(_INPLACE[op], left, right)
    if op in _PLAIN_INPLACE:
        return _PLAIN_INPLACE[op](left, right)
    raise UnsafeExpression(
        f"operator {op} is not allowed in flow expressions",
        code="expression-operator",
        params={"operator": str(op)},
    )


_SCALARS = (bool, int, float, str, type(None))


def _str(value: Any = "") -> str:
    # str() of a container renders every nested element in one C call: scalars only.
    if not isinstance(value, _SCALARS):
        raise UnsafeExpression(
            "str() takes a number or a string in flow expressions", code="expression-str-argument"
        )
    text = str(value)
    _bounded(text)
    return text


def _sum(values: Any, start: int | float = 0) -> Any:
    # Numbers only: sum() over lists concatenates them, quadratically, inside one C call.
    items = list(values)
    if len(items) > MAX_SIZE or not all(
        isinstance(item, int | float) and not isinstance(item, bool) for item in items
    ):
        raise UnsafeExpression(
            "sum() adds up to 10,000 numbers in flow expressions",
            code="expression-sum-too-long",
            params={"limit": 10000},
        )
    if not isinstance(start, int | float):
        raise UnsafeExpression(
            "sum() starts from a number in flow expressions", code="expression-sum-start"
        )
    return _bounded(sum(items, start))


def _range(*args: int) -> range:
    bounded = range(*args)
    if len(bounded) > MAX_RANGE:
        raise UnsafeExpression(
            f"range() is limited to {MAX_RANGE} numbers in flow expressions",
            code="expression-range-too-long",
            params={"limit": MAX_RANGE},
        )
    return bounded


# Methods that neither reach the interpreter's internals nor allocate beyond their input.
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        {
            "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split",
            "isdigit", "isalpha", "count", "find", "casefold", "title",
        }
    ),
    dict: frozenset({"get", "keys", "values", "items"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
}  # fmt: skip


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    allowed = _SAFE_METHODS.get(type(obj), frozenset())
    if name not in allowed:
        raise UnsafeExpression(
            f"attribute {name!r} of {type(obj).__name__} is not allowed",
            code="expression-attribute",
            params={"attribute": name, "type": type(obj).__name__},
        )
    return getattr(obj, name)


ALLOWED_BUILTINS: dict[str, Any] = {
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "float": float,
    "int": int, "len": len, "list": list, "max": max, "min": min, "round": round,
    "set": set, "sorted": sorted, "str": _str, "sum": _sum, "tuple": tuple, "zip": zip,
    "range": _range, "True": True, "False": False, "None": None,
}  # fmt: skip

_REFUSED_BUILTINS = frozenset(dir(builtins)) - set(ALLOWED_BUILTINS)

_GUARDS: dict[str, Any] = {
    "__builtins__": ALLOWED_BUILTINS,
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_write_": lambda obj: obj,  # only plain locals can be assigned (no attribute targets)
    "_binop_": _binop,
    "_inplacevar_": _inplacevar,
}


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile a condition (an expression); raise UnsafeExpression naming what is refused."""
    return _compile(source, mode="eval")


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    return _compile(source, mode="exec")


def _compile(source: str, *, mode: str) -> CodeType:
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, policy=FlowExpressionPolicy)
    except SyntaxError as error:
        raise UnsafeExpression(
            f"syntax error in {source!r}: {error.msg}",
            code="expression-syntax",
            params={"expression": source, "error": str(error.msg)},
        ) from None
    if result.errors or result.code is None:
        raise UnsafeExpression(
            f"refused {source!r}: " + "; ".join(result.errors),
            code="expression-refused",
            params={"expression": source, "errors": list(result.errors)},
        )
    return result.code


def _run_bounded(func: Callable[[], Any], timeout_s: float) -> Any:
    """Run ``func`` under a per-opcode tracer that stops it once the deadline has passed."""
    deadline = time.monotonic() + timeout_s

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True  # line events miss a jump back to the same line
        if time.monotonic() > deadline:
            raise ExpressionTimeout(
                f"flow expression exceeded {timeout_s * 1000:.0f} ms",
                code="expression-timeout",
                params={"timeout_ms": round(timeout_s * 1000)},
            )
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return func()
    finally:
        sys.settrace(previous)


# Functions of the case's data that flows may call, provided by the service (the engine knows
# no calendar): ``deadline('township_review')`` → the ISO instant a step is due.
DataFunction = Callable[[dict[str, Any], str], Any]


def _calendar_days_deadline(data: dict[str, Any], step: str) -> str:
    """Until the service installs its working-day calendar: the step's limit in plain days."""
    limits = data.get("time_limits") or {}
    days = int(limits.get(step, limits.get("default", 10)))
    return (utcnow() + timedelta(days=days)).isoformat()


_DATA_FUNCTIONS: dict[str, DataFunction] = {"deadline": _calendar_days_deadline}


def provide(name: str, function: DataFunction) -> None:
    """Offer ``name(arg)`` to flow expressions; it is called as ``function(data, arg)``."""
    _DATA_FUNCTIONS[name] = function


def call_provided(name: str, data: dict[str, Any], argument: str) -> Any:
    """What ``name(argument)`` gives a flow whose data is ``data``: the service's function
    (``provide``), called from outside a flow (a task with no deadline of its own)."""
    return _DATA_FUNCTIONS[name](dict(data), argument)


def _bind(function: DataFunction, data: dict[str, Any]) -> Callable[[str], Any]:
    def bound(argument: str) -> Any:
        if not isinstance(argument, str):
            raise UnsafeExpression(
                "flow functions take a step id (a string)", code="expression-step-id"
            )
        return function(dict(data), argument)

    return bound


def _context(data: dict[str, Any], external: dict[str, Any] | None = None) -> dict[str, Any]:
    # External context: the workflow's data objects, and the input value of a DMN rule.
    scope = {key: value for key, value in (external or {}).items() if not key.startswith("_")}
    scope.update((key, value) for key, value in data.items() if not key.startswith("_"))
    scope.update((name, _bind(function, data)) for name, function in _DATA_FUNCTIONS.items())
    scope.update(_GUARDS)
    return scope


def evaluate_condition(source: str, data: dict[str, Any], timeout_s: float = 0.1) -> Any:
    """Evaluate a condition against ``data`` in the sandbox (checks of a flow at upload)."""
    code = compile_expression(source)
    scope = _context(data)
    return _run_bounded(lambda: eval(code, scope), timeout_s)  # noqa: S307 - restricted


def evaluate_constant(source: str) -> Any:
    """The value of an expression that reads no names (a literal), or None."""
    code = compile_expression(source)
    if code.co_names:
        return None
    return evaluate_condition(source, {})


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment backed by RestrictedPython."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__({})
        self.timeout_s = timeout_s

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        code = compile_expression(expression)
        scope = _context(context, external_context)
        return _run_bounded(lambda: eval(code, scope), self.timeout_s)  # noqa: S307 - restricted

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code = compile_script(script)
        scope = _context(context, external_context)
        _run_bounded(lambda: exec(code, scope), self.timeout_s)  # noqa: S102 - restricted
        for key, value in scope.items():
            if not key.startswith("_") and key not in ALLOWED_BUILTINS and not callable(value):
                context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise UnsafeExpression("service tasks are not available to flows", code="flow-service-task")


class RestrictedScriptEngine(PythonScriptEngine):
    def __init__(self, timeout_s: float) -> None:
        super().__init__(environment=RestrictedEnvironment(timeout_s))

    def validate(self, expression: str) -> None:
        # SyntaxError stays a SyntaxError: the DMN engine parses rule entries such as "> 3" by
        # catching it. Anything that parses must also pass the sandbox.
        ast.parse(expression, mode="eval")
        compile_expression(expression)
