"""The workflow engine: the only package that imports SpiffWorkflow.

Everything else uses these names: parse and cache flows, start and resume instances, complete
a ready task, and read what is ready or how the flow ended.

Names shown to people come from the flow, in both languages: an element's ``name`` is Chinese,
its ``name.en`` extension property English, and a user task's ``decision.<code>`` properties
say which decisions it offers and what they are called (service/engine/names.py).
"""

from service.engine.conventions import ESCALATION_END_PREFIX, Conventions
from service.engine.decisions import ParsedDecision, decision_cache, parse_decision
from service.engine.decisions import evaluate as evaluate_decision
from service.engine.errors import (
    ExpressionTimeout,
    FlowProblem,
    InvalidFlow,
    TaskNotReady,
    UnsafeExpression,
)
from service.engine.fields import (
    SERVICE_WRITTEN,
    FieldSpec,
    check_value,
    masked_value,
    parse_field,
)
from service.engine.instances import Completed, Instance, ReadyTask
from service.engine.names import (
    DEFAULT_DECISIONS,
    DecisionOption,
    display_names,
    element_names,
    legacy_names,
)
from service.engine.sandbox import call_provided, evaluate_condition, provide
from service.engine.specs import (
    GatewayInfo,
    ParsedFlow,
    UserTaskInfo,
    flow_digest,
    parse_flow,
    spec_cache,
)
from service.engine.timers import untimed_tasks

__all__ = [
    "ExpressionTimeout",
    "ESCALATION_END_PREFIX",
    "Conventions",
    "DEFAULT_DECISIONS",
    "DecisionOption",
    "display_names",
    "element_names",
    "legacy_names",
    "SERVICE_WRITTEN",
    "Completed",
    "FieldSpec",
    "check_value",
    "parse_field",
    "masked_value",
    "FlowProblem",
    "GatewayInfo",
    "ParsedDecision",
    "evaluate_condition",
    "flow_digest",
    "provide",
    "call_provided",
    "decision_cache",
    "evaluate_decision",
    "parse_decision",
    "Instance",
    "InvalidFlow",
    "ParsedFlow",
    "ReadyTask",
    "TaskNotReady",
    "UnsafeExpression",
    "UserTaskInfo",
    "parse_flow",
    "spec_cache",
    "untimed_tasks",
]
