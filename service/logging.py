"""Structured logs (structlog): one JSON object per line, with the request id bound.

Everything that logs goes out the same way, through one handler: the service's structlog events
are handed to the standard ``logging`` module, and its records, the service's and those of
libraries (uvicorn, SQLAlchemy, aiosqlite …), are rendered by the same processors. The handler
writes each record as one line with one ``write(2)`` under its lock, so records of different
threads never share a line; across processes (``relief serve --workers N`` on one stderr) a
line of up to ``PIPE_BUF`` (4 KiB) is atomic on a pipe, and any line is on a file opened for
appending. (Until December 2026 structlog printed on its own, under another lock, with the
message and its line break in two writes: an aiosqlite record from the driver's thread could
land between them, two records on one line.)

Before rendering, every string and number of an event (its message, its values, a formatted
traceback) goes through ``mask_text``: a resident ID, bank card or mobile number that reached
a log call (a driver's DEBUG line with SQL parameters, a constraint's error text) leaves
masked, as in the audit trail.
"""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from service.masking import DEEPER, MAX_READ_DEPTH, mask_number, mask_text

# The id of the request being served (set by service/http/observe.py): its log lines and the
# audit events it writes carry it, however deep the layer that writes them.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Libraries whose loggers uvicorn gives handlers of their own (plain text): routed to ours.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _masked(value: Any, depth: int = MAX_READ_DEPTH) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return mask_number(value)  # a card number logged as a number
    if isinstance(value, dict | list | tuple | set | frozenset) and depth <= 0:
        return DEEPER  # a value nested without end never takes the log call down
    if isinstance(value, dict):
        return {mask_text(str(key)): _masked(item, depth - 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(item, depth - 1) for item in value]
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


class LineHandler(logging.Handler):
    """Writes each record as one line, in one ``write`` call on a file descriptor (standard
    error by default), under the handler's lock."""

    def __init__(self, fd: int = 2) -> None:
        super().__init__()
        self.fd = fd

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # The renderer gives JSON, whose strings escape line breaks; anything else that
            # reaches here (a formatter error's text) is kept on its line all the same.
            line = self.format(record).replace("\n", "\\n") + "\n"
            data = line.encode("utf-8", "backslashreplace")
            # Handler.handle holds self.lock around emit: one record at a time per process.
            while data:
                data = data[os.write(self.fd, data) :]
        except Exception:  # logging must never take the caller down
            self.handleError(record)


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
    handler = LineHandler()
    handler.setFormatter(formatter)
    handler.set_name("relief")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "relief"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Python's warnings are written to stderr by a writer of their own, in plain text: as
    # records they are JSON lines of the same stream, one whole line each.
    logging.captureWarnings(True)
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # SpiffWorkflow logs every task state change at INFO: far too chatty for a service.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("SpiffWorkflow").setLevel(logging.WARNING)
    structlog.configure(
        # The service's events go through the standard library's handler too (stderr: stdout
        # stays free for the CLI); the handler's formatter renders and masks them.
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
