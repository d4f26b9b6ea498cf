"""Structured logs (structlog): one JSON-ish line per event, with the request id bound."""

from __future__ import annotations

import logging

import structlog


def configure_logging(level: str) -> None:
    logging.basicConfig(format="%(message)s", level=level.upper())
    # SpiffWorkflow logs every task state change at INFO: far too chatty for a service.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("SpiffWorkflow").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
