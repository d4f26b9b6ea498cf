"""RFC 9457 problem responses for every error the API returns."""

from __future__ import annotations

import errno
import math
import socket
from http import HTTPStatus
from typing import Any, Protocol

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import PROBLEM_BASE, PayloadTooLarge, ReliefError, field_error
from service.http import codes, refusals
from service.http.headers import headers_for
from service.http.limits import BodyTooLarge
from service.logging import request_id_var

log = structlog.get_logger()
MEDIA_TYPE = "application/problem+json"
ERROR_PAGE = "error_page"  # the app.state attribute that holds the console's ErrorPage


class ErrorPage(Protocol):
    """What a browser is answered instead of problem JSON (the console's ``service/web/errors``,
    handed over by ``create_app``): the edge does not import the console."""

    def serves(self, request: Request) -> bool: ...

    def render(
        self,
        request: Request,
        *,
        status: int,
        detail: str,
        headers: dict[str, str] | None,
        code: str,
        params: dict[str, Any],
        errors: list[dict[str, Any]],
    ) -> Response:
        """The page of a refusal: ``detail`` is the English sentence; the page says it in
        its own words from ``code``, ``params`` and the field ``errors``."""
        ...


def problem(
    status: int,
    *,
    type_: str,
    title: str,
    detail: str,
    request: Request,
    code: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The problem answer: ``code`` (registered in ``codes.py``) and ``params`` name the refusal
    for a client that words it itself; ``detail`` says it in English."""
    _check_registered(code, status, extra.get("errors"))
    page: ErrorPage | None = getattr(request.app.state, ERROR_PAGE, None)
    if page is not None and page.serves(request):
        if "retry_after" in extra:
            headers = {**(headers or {}), "Retry-After": str(extra["retry_after"])}
        errors = extra.get("errors")
        return page.render(
            request,
            status=status,
            detail=detail,
            headers=headers,
            code=code,
            params=dict(params or {}),
            errors=errors if isinstance(errors, list) else [],
        )
    body = {
        "type": type_ if type_ == "about:blank" else PROBLEM_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "params": json_safe(params or {}),
        "instance": request.url.path,
        # The scope outlives the request-id middleware, which 500 handlers run outside of.
        "request_id": request_id_var.get() or request.scope.get("relief.request_id"),
        **extra,
    }
    headers = dict(headers or {})
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _check_registered(code: str, status: int, errors: Any) -> None:
    """Log an error for a code missing from the registry (tests/test_problem_codes.py keeps the
    source from raising one; this catches what a static scan cannot see)."""
    if not codes.known(code):
        log.error("problem_code_unregistered", code=code, status=status)
    elif codes.CODES[code].status != status and code != "http-error":
        log.error("problem_code_status_mismatch", code=code, status=status)
    for item in errors if isinstance(errors, list) else []:
        field_code = item.get("code") if isinstance(item, dict) else None
        if isinstance(field_code, str) and not codes.known(field_code, field=True):
            log.error("problem_code_unregistered", code=field_code, status=status, field=True)


def json_safe(value: Any) -> Any:
    """``value`` as JSON can carry it: what pydantic puts in an error's context may be an
    exception (dropped: the message says it) or another object (given as its text)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {
            str(key): json_safe(item)
            for key, item in value.items()
            if not isinstance(item, BaseException)
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    return str(value)


def _field_error(item: dict[str, Any]) -> dict[str, Any]:
    """One pydantic error as a field error: its type is the code, its context the params."""
    return field_error(
        _field(item),
        item.get("msg", "invalid"),
        code=str(item.get("type", "value_error")),
        params=json_safe(item.get("ctx") or {}),
    )


def _field(item: dict[str, Any]) -> str:
    if item.get("type") == "json_invalid":
        return "body"  # the location holds the parse position, not a field
    parts = [str(part) for part in item.get("loc", ())]
    if parts and parts[0] in ("body", "query", "path", "header", "form"):
        parts = parts[1:] or parts
    return ".".join(parts)


def install(app: FastAPI, *, error_page: ErrorPage | None = None) -> None:
    """Render every error of ``app`` as a problem (or, for a console page, ``error_page``)."""
    setattr(app.state, ERROR_PAGE, error_page)

    @app.exception_handler(ReliefError)
    async def _relief(request: Request, error: ReliefError) -> Response:
        # A 403 or 409 to a logged-in user is itself an audit event (written on its own).
        await refusals.record(
            request, status=error.status, type_=error.type, code=error.code, detail=error.detail
        )
        return problem(
            error.status,
            type_=error.type,
            title=error.title,
            detail=error.detail,
            request=request,
            code=error.code,
            params=error.params,
            **error.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        errors = [_field_error(item) for item in error.errors()]
        fields = [e["field"] for e in errors]
        return problem(
            422,
            type_="invalid-input",
            title="Invalid input",
            detail=f"invalid fields: {', '.join(fields)}",
            request=request,
            code="invalid-input",
            params={"fields": fields},
            errors=errors,
        )

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, error: BodyTooLarge) -> Response:
        return problem(
            413,
            type_=PayloadTooLarge.type,
            title=PayloadTooLarge.title,
            detail=str(error.detail),
            request=request,
            code="body-too-large",
            params={"limit": error.limit},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        return _http_problem(request, error)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, error: IntegrityError) -> Response:
        log.warning("integrity_conflict", error=str(error.orig))
        detail = "the request conflicts with a concurrent change; reload and try again"
        await refusals.record(request, status=409, type_="conflict", code="conflict", detail=detail)
        return problem(
            409, type_="conflict", title="Conflict", detail=detail, request=request, code="conflict"
        )

    @app.exception_handler(DBAPIError)
    async def _database_unavailable(request: Request, error: DBAPIError) -> Response:
        if _is_data_exception(error):
            # The database refused a value the request carried (PostgreSQL: a NUL character
            # in text, SQLSTATE class 22): bad input, not an outage.
            log.warning("database_refused_value", error=str(error.orig))
            return problem(
                422,
                type_="invalid-input",
                title="Invalid input",
                detail="a value in the request cannot be stored or searched for "
                "(for example, a NUL character)",
                request=request,
                code="value-not-storable",
            )
        # Connection lost, server gone, lock timeout: the request changed nothing; retry later.
        log.error("database_unavailable", error=str(error.orig))
        return _unavailable(request)

    for raw in _CONNECT_ERRORS:
        # SQLAlchemy wraps what the driver raises while it talks to the server (DBAPIError,
        # above), but not what asyncpg raises while it *opens* a connection: a refused or
        # unreachable address (OSError), the connect timeout (TimeoutError). A pool that must
        # open a new connection while the database is away sees exactly those: 503, not 500.
        app.add_exception_handler(raw, _connect_failed)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled_error")
        response = problem(
            500,
            type_="internal-error",
            title="Internal error",
            detail="an unexpected error occurred; it has been logged with the request id",
            request=request,
            code="internal-error",
        )
        # Starlette answers a 500 from its outermost layer, outside SecurityHeaders.
        response.headers.update(headers_for(request.url.path))
        return response


def _is_data_exception(error: DBAPIError) -> bool:
    """SQLSTATE class 22 (data exception), as asyncpg (``sqlstate``) or psycopg (``pgcode``)
    reports it, possibly on the driver error SQLAlchemy's adapter wraps."""
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code.startswith("22")
    return False


def _unavailable(request: Request) -> Response:
    return problem(
        503,
        type_="service-unavailable",
        title="Service unavailable",
        detail="the database is unavailable; try again shortly",
        request=request,
        code="service-unavailable",
    )


# Raised by asyncpg itself, unwrapped, when a connection cannot be opened; its own exception
# classes too, in case one escapes SQLAlchemy's translation.
_CONNECT_ERRORS: tuple[type[Exception], ...] = (OSError,)
try:
    import asyncpg

    _CONNECT_ERRORS += (asyncpg.PostgresError, asyncpg.InterfaceError)
except ImportError:  # pragma: no cover - a SQLite-only installation
    pass

_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ENETUNREACH,
    errno.ENETDOWN,
    errno.EHOSTUNREACH,
    errno.EHOSTDOWN,
    errno.ETIMEDOUT,
    errno.EPIPE,
}


async def _connect_failed(request: Request, error: Exception) -> Response:
    network = isinstance(error, ConnectionError | TimeoutError | socket.gaierror) or (
        isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS
    )
    if isinstance(error, OSError) and not network:
        # A file system error (an upload's disk) is no database outage: the 500 of any bug.
        log.exception("unhandled_error")
        return problem(
            500,
            type_="internal-error",
            title="Internal error",
            detail="an unexpected error occurred; it has been logged with the request id",
            request=request,
            code="internal-error",
        )
    log.error("database_unavailable", error=f"{type(error).__name__}: {error}")
    return _unavailable(request)


def _http_problem(request: Request, error: StarletteHTTPException) -> Response:
    phrase = HTTPStatus(error.status_code).phrase
    detail = error.detail if isinstance(error.detail, str) else phrase
    if error.status_code == 400:
        # A body that cannot be parsed at all (bytes that are not UTF-8, broken multipart
        # framing) is invalid input like any other: 422, as every route documents.
        return problem(
            422,
            type_="invalid-input",
            title="Invalid input",
            detail=f"invalid fields: body ({detail})",
            request=request,
            code="invalid-input",
            params={"fields": ["body"]},
            errors=[field_error("body", detail, code="body-invalid")],
        )
    headers = dict(error.headers or {})
    code = _HTTP_CODES.get(error.status_code, "http-error")
    params: dict[str, Any] = {}
    if code == "http-error":
        params = {"status": error.status_code}
    if error.status_code == 405:
        params = {"method": request.method}
        # Starlette names only the methods of the first route that matched the path; the
        # resource supports those of every route on it (RFC 9110, section 15.5.6).
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
    return problem(
        error.status_code,
        type_="about:blank",
        title=phrase,
        detail=detail,
        request=request,
        code=code,
        params=params,
        headers=headers,
    )


_HTTP_CODES = {404: "not-found", 405: "method-not-allowed"}


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is rendered."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(
        description="stable name of this refusal; the registry is docs/problems.md",
        examples=["documents-missing"],
    )
    params: dict[str, Any] = Field(
        description="the values the refusal's message needs, by name (see docs/problems.md)",
        examples=[{"missing": ["hukou_booklet"]}],
    )
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None,
        description="field errors of a 422: {field, message, code, params} each",
    )


_DESCRIPTIONS = {
    401: "missing, invalid or expired token",
    403: "role, jurisdiction or separation of duties forbids it",
    404: "unknown, or outside the caller's jurisdiction",
    409: "duplicate, stale or concurrent change",
    413: "payload too large",
    429: "too many failed attempts or requests; see Retry-After",
    422: "invalid input",
    503: "busy (password checks) or the database unavailable; see Retry-After",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the problems a route can return.

    The schema is given inline under ``application/problem+json``, the only media type errors
    are sent with: a ``model`` would document them as ``application/json``."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


_PROBLEM_SCHEMA = Problem.model_json_schema()


def _matches(template: str, path: str) -> bool:
    expected, actual = template.split("/"), path.split("/")
    return len(expected) == len(actual) and all(
        part == given or (part.startswith("{") and part.endswith("}") and given != "")
        for part, given in zip(expected, actual, strict=True)
    )


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document lists for the requested path."""
    paths = request.app.openapi().get("paths", {})  # built once, then cached by FastAPI
    for template, operations in paths.items():
        if _matches(template, request.url.path):
            return sorted(method.upper() for method in operations)
    return []
