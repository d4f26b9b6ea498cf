"""Domain errors. Services raise these; the HTTP edge (``service/http/problems.py``) renders
them as RFC 9457 problems, and a bulk command reports one per item as an ``ItemProblem``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PROBLEM_BASE = "urn:relief:problem:"


class ReliefError(Exception):
    """Base of every refusal the service makes on purpose.

    ``detail`` is the English sentence; ``code`` a stable kebab-case name of this particular
    refusal (``documents-missing``, ``task-not-found``) and ``params`` the JSON values its
    message needs, so a client can say it in its own words. Every code is registered, with its
    status and params, in ``service/http/codes.py``; without one, the class's ``type`` is the
    code. ``extra`` are further top-level members of the problem (``retry_after``, ``errors``).
    """

    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        params: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.type
        self.params: dict[str, Any] = dict(params or {})
        self.extra = extra


def field_error(
    field: str | None, message: str, *, code: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One entry of a problem's ``errors``: which field, why (English), and why as a code."""
    return {"field": field, "message": message, "code": code, "params": dict(params or {})}


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


class ServiceBusy(ReliefError):
    """The service has no capacity for this now (every password-check slot is taken)."""

    status, type, title = 503, "service-busy", "Service busy"


class InvalidInput(ReliefError):
    status, type, title = 422, "invalid-input", "Invalid input"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        code: str | None = None,
        params: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        code = code or self.type
        errors = [field_error(field, detail, code=code, params=params)] if field else []
        super().__init__(detail, code=code, params=params, errors=errors, **extra)


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
    code: str
    params: dict[str, Any] = {}

    @classmethod
    def of(cls, error: ReliefError) -> ItemProblem:
        return cls(
            status=error.status,
            type=PROBLEM_BASE + error.type,
            detail=error.detail,
            code=error.code,
            params=error.params,
        )
