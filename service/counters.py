"""Prometheus counters the domain increments: the chain's own events.

They live apart from the ``/metrics`` route (``service/http/metrics.py``, which exposes them
with the request counters and the gauges read from the database), so a domain service counts
without importing the HTTP edge. Each process keeps its own counts; scrape every worker.
"""

from __future__ import annotations

from prometheus_client import Counter

SUBMISSIONS = Counter("relief_applications_submitted_total", "Cases submitted", ["program"])
COMPLETIONS = Counter("relief_task_completions_total", "Tasks completed", ["role", "decision"])
