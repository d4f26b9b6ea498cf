"""The workflow engine: the only package that imports SpiffWorkflow.

Everything else uses these names: parse and cache flows, start and resume instances, complete
a ready task, and read what is ready or how the flow ended.
"""

from service.engine.decisions import ParsedDecision, decision_cache, parse_decision
from service.engine.decisions import evaluate as evaluate_decision
from service.engine.errors import FlowProblem, InvalidFlow, TaskNotReady, UnsafeExpression
from service.engine.fields import SERVICE_WRITTEN, FieldSpec, check_value, masked_value
from service.engine.instances import Completed, Instance, ReadyTask
from service.engine.sandbox import evaluate_condition, provide
from service.engine.specs import (
    GatewayInfo,
    ParsedFlow,
    UserTaskInfo,
    flow_digest,
    parse_flow,
    spec_cache,
)

__all__ = [
    "SERVICE_WRITTEN",
    "Completed",
    "FieldSpec",
    "check_value",
    "masked_value",
    "FlowProblem",
    "GatewayInfo",
    "ParsedDecision",
    "evaluate_condition",
    "flow_digest",
    "provide",
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
]
