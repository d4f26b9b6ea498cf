"""Operators scrape /metrics: per-route counts and latencies, chain events, no personal data."""

from __future__ import annotations

import httpx

from tests.conftest import Api, Server
from tests.factories import application


def _metrics(server: Server) -> str:
    response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_metrics_count_submissions_and_completions_by_route_template(
    api: Api, server: Server
) -> None:
    body = application()
    case_id = api.submit(body)["id"]
    api.act(case_id, "reject", as_="cw.lizhuang")

    text = _metrics(server)
    assert 'relief_applications_submitted_total{program="emergency_consolation"}' in text
    assert 'relief_task_completions_total{decision="reject",role="caseworker"}' in text
    assert 'route="/api/v1/tasks/{task_id}/complete"' in text
    assert f"/tasks/{case_id}" not in text  # templates, not raw paths
    assert body["applicant"]["id_number"] not in text  # type: ignore[index]
