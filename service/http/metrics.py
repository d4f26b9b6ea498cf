"""The ``/metrics`` route: request counts and latency per route, the chain's own events
(``service/counters.py``), and
operational gauges read from the database at each scrape (open and overdue tasks by role, how
late the worker is, messages waiting in the outbox, open incidents by kind).

Each process keeps its own counters; with several uvicorn workers, scrape each worker or run
one worker per container (the usual deployment). The gauges read from the database are the
same in every process.
"""

from __future__ import annotations

import math
from functools import cache

import structlog
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from service.auth.models import LANE_ROLES
from service.clock import utcnow
from service.http.deps import SessionDep
from service.notifications import delivery
from service.ops import gauges
from service.worker import firing

log = structlog.get_logger()

REQUESTS = Counter(
    "relief_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "relief_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# Read from the database at each scrape (service/ops/gauges.py).
TASKS_OPEN = Gauge("relief_tasks_open", "Tasks waiting for a person (ready)", ["role"])
TASKS_OVERDUE = Gauge(
    "relief_tasks_overdue", "Ready tasks past their deadline (due_at before now)", ["role"]
)
WORKER_LAG = Gauge(
    "relief_worker_lag_seconds",
    "Age of the oldest due timer not yet fired (cases and yearly reviews); 0 when none is due",
)
OUTBOX_PENDING = Gauge(
    "relief_outbox_pending", "Messages due to be sent that the worker has not sent yet"
)
INCIDENTS_OPEN = Gauge("relief_incidents_open", "Open incidents (failed jobs)", ["kind"])
DATABASE_UP = Gauge(
    "relief_metrics_database_up",
    "1 when this scrape read the gauges above from the database; 0 when it could not "
    "(those with labels are then left out, the others are NaN)",
)

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics(session: SessionDep) -> Response:
    """Prometheus text exposition: counts, ages and latencies only, no personal data.

    No authentication: the endpoint is meant for the internal network (the Prometheus
    scraper), and must not be exposed by the public reverse proxy. When the database cannot
    be read, the answer still carries the process's own metrics, with
    ``relief_metrics_database_up 0``: the gauges read from the database are left out (with
    labels) or NaN (without), never stale or a misleading 0.
    """
    reading: gauges.Operational | None = None
    try:
        reading = await gauges.read(session, utcnow())
    except Exception as error:  # noqa: BLE001 - a scrape never fails because of the database
        log.warning("metrics_database_failed", error=f"{type(error).__name__}: {error}")
    publish(reading)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@cache
def _incident_kinds() -> tuple[str, ...]:
    """The kinds of jobs that open incidents, reported as 0 when none is open."""
    return (*(timed.incident for timed in firing.TIMED), delivery.KIND)


def publish(reading: gauges.Operational | None) -> None:
    """Replace the gauges' values with ``reading``: a role or kind that drops to none still
    reports 0; without a reading, they are left out or NaN rather than stale.

    No await in here: concurrent scrapes never see a half-set gauge.
    """
    for gauge in (TASKS_OPEN, TASKS_OVERDUE, INCIDENTS_OPEN):
        gauge.clear()
    if reading is None:
        DATABASE_UP.set(0)
        WORKER_LAG.set(math.nan)
        OUTBOX_PENDING.set(math.nan)
        return
    DATABASE_UP.set(1)
    for role in (*LANE_ROLES, *reading.open_by_role):
        TASKS_OPEN.labels(role).set(reading.open_by_role.get(role, 0))
        TASKS_OVERDUE.labels(role).set(reading.overdue_by_role.get(role, 0))
    for kind in (*_incident_kinds(), *reading.incidents_by_kind):
        INCIDENTS_OPEN.labels(kind).set(reading.incidents_by_kind.get(kind, 0))
    WORKER_LAG.set(reading.worker_lag_seconds)
    OUTBOX_PENDING.set(reading.outbox_pending)


def route_template(request: Request) -> str:
    """The full route template (``/api/v1/tasks/{task_id}/complete``), never the raw path:
    ids in labels would make one time series per case."""
    template = getattr(request.scope.get("route"), "path", None)
    if template is None:
        return "unmatched"
    try:
        tail = template.format(**request.path_params)
    except (KeyError, IndexError, ValueError):
        return str(template)
    path = request.url.path
    prefix = path[: len(path) - len(tail)] if path.endswith(tail) else ""
    return prefix + str(template)
