"""Structured logs (structlog): one JSON object per line, with the request id bound.

Everything that logs goes out the same way: the service's structlog events and the standard
``logging`` records of libraries (uvicorn, SQLAlchemy, aiosqlite …), which are rendered by
the same processors. Before rendering, every string of an event (its message, its values, a
formatted traceback) goes through ``mask_text``: a resident ID, bank card or mobile number that
reached a log call (a driver's DEBUG line with SQL parameters, a constraint's error text) leaves
masked, as in the audit trail.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from service.masking import mask_text

# Libraries whose loggers uvicorn gives handlers of their own (plain text): routed to ours.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_masked(item) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask_text(str(value))


# The ids the service makes (uuid4 hex): a digit run inside one is no personal number, and
# masking it would break the link between the log and the caller's X-Request-ID.
_OWN_REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def mask_personal_numbers(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Mask resident IDs, bank cards and mobile numbers in every value of the event."""
    return {
        key: value
        if key == "request_id" and isinstance(value, str) and _OWN_REQUEST_ID.fullmatch(value)
        else _masked(value)
        for key, value in event_dict.items()
    }


def _shared() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(level: str) -> None:
    level = level.upper()
    shared = _shared()
    renderer: list[Processor] = [
        structlog.processors.format_exc_info,
        mask_personal_numbers,
        structlog.processors.JSONRenderer(ensure_ascii=False),
    ]
    # Records of the standard library: the same fields, the same masking, the same JSON.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.set_name("relief")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "relief"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # SpiffWorkflow logs every task state change at INFO: far too chatty for a service.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("SpiffWorkflow").setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # The same stream as the standard library's records: stdout stays free for the CLI.
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
