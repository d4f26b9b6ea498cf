"""Domain errors. Services raise these; the HTTP edge (``service/http/problems.py``) renders
them as RFC 9457 problems, and a bulk command reports one per item as an ``ItemProblem``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PROBLEM_BASE = "urn:relief:problem:"


class ReliefError(Exception):
    """Base of every refusal the service makes on purpose."""

    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotAuthenticated(ReliefError):
    status, type, title = 401, "not-authenticated", "Not authenticated"


class Forbidden(ReliefError):
    status, type, title = 403, "forbidden", "Forbidden"


class SeparationOfDuties(ReliefError):
    status, type, title = 403, "separation-of-duties", "Separation of duties"


class NotFound(ReliefError):
    status, type, title = 404, "not-found", "Not found"


class Conflict(ReliefError):
    status, type, title = 409, "conflict", "Conflict"


class DuplicateCase(ReliefError):
    status, type, title = 409, "duplicate-case", "Household already has a case"


class StaleTask(ReliefError):
    status, type, title = 409, "stale-task", "Task already completed or changed"


class MissingDocuments(ReliefError):
    status, type, title = 409, "missing-documents", "Required documents missing"


class PayloadTooLarge(ReliefError):
    status, type, title = 413, "payload-too-large", "Payload too large"


class TooManyAttempts(ReliefError):
    status, type, title = 429, "too-many-attempts", "Too many failed attempts"


class TooManyRequests(ReliefError):
    status, type, title = 429, "too-many-requests", "Too many requests"


class InvalidInput(ReliefError):
    status, type, title = 422, "invalid-input", "Invalid input"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        errors = [{"field": field, "message": detail}] if field else []
        super().__init__(detail, errors=errors, **extra)


class FlowError(ReliefError):
    """The flow definition or its execution refused the request (bad expression, no path)."""

    status, type, title = 422, "flow-error", "Flow cannot proceed"


class NothingToBatch(ReliefError):
    status, type, title = 409, "nothing-to-batch", "No pending payout to batch"


class PayoutInBatch(ReliefError):
    """The payout waits on the bank's result in a batch: nothing else may settle it meanwhile."""

    status, type, title = 409, "payout-in-batch", "Payout awaits the bank's result"


class IdempotencyKeyReused(ReliefError):
    """The caller sent an ``Idempotency-Key`` they already used for a different request."""

    status, type, title = 422, "idempotency-key-reused", "Idempotency key reused"


class ItemProblem(BaseModel):
    """Why one item of a bulk request changed nothing: what a single request would answer."""

    status: int
    type: str
    detail: str

    @classmethod
    def of(cls, error: ReliefError) -> ItemProblem:
        return cls(status=error.status, type=PROBLEM_BASE + error.type, detail=error.detail)
