"""Prometheus metrics: request counts and latency per route, and the chain's own events.

Each process keeps its own counters; with several uvicorn workers, scrape each worker or run
one worker per container (the usual deployment).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter(
    "relief_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "relief_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SUBMISSIONS = Counter("relief_applications_submitted_total", "Cases submitted", ["program"])
COMPLETIONS = Counter("relief_task_completions_total", "Tasks completed", ["role", "decision"])

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Prometheus text exposition: counts and latencies only, no personal data."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


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


async def observe(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = route_template(request)
    LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    return response
