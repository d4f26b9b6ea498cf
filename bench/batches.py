"""Time a bank batch and a bulk review through a real server (not a test: prints numbers).

    .venv/bin/python bench/batches.py [--cases 100] [--database-url postgresql+asyncpg://…]

Starts ``relief serve`` on a fresh database (a temporary SQLite file unless a PostgreSQL URL of
an empty database is given) and brings ``--cases`` emergency-consolation cases to the township
review. Then, timed: the township reviews them all in one bulk request, the county verifies
them in another, the finance officer makes one batch of the pending payouts, downloads the
bank file (CSV and xlsx) and posts the bank's results (every line paid) in one request.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import fresh_server  # noqa: E402
from harness import DEMO_PASSWORD  # noqa: E402
from tests.factories import EC_DOCUMENTS, PDF, application  # noqa: E402

USERS = ("cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county", "fo.county", "au.county")


def _timed(label: str, call: object, figures: list[str]) -> httpx.Response:
    started = time.perf_counter()
    response: httpx.Response = call()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    figures.append(f"{label}: {elapsed:.2f} s")
    return response


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    figures: list[str] = []
    with fresh_server(args.database_url) as base:
        client = httpx.Client(base_url=f"{base}/api/v1", timeout=600)
        auth = {}
        for user in USERS:
            form = {"username": user, "password": DEMO_PASSWORD}
            token = client.post("/auth/token", data=form).json()["access_token"]
            auth[user] = {"Authorization": f"Bearer {token}"}
        township_tasks = []
        for _ in range(args.cases):
            case = client.post("/applications", json=application(), headers=auth["cw.lizhuang"])
            case.raise_for_status()
            for kind in EC_DOCUMENTS:
                client.post(
                    f"/applications/{case.json()['id']}/documents",
                    data={"kind": kind},
                    files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
                    headers=auth["cw.lizhuang"],
                ).raise_for_status()
            task_id = case.json()["tasks"][0]["id"]
            for user in ("cw.lizhuang", "vh.lizhuang"):
                done = client.post(
                    f"/tasks/{task_id}/complete", json={"decision": "approve"}, headers=auth[user]
                )
                done.raise_for_status()
                task_id = done.json()["next_tasks"][0]["id"]
            township_tasks.append(task_id)

        def bulk(user: str, tasks: list[int]) -> httpx.Response:
            items = [{"task_id": task, "decision": "approve"} for task in tasks]
            return client.post("/tasks/bulk-complete", json={"items": items}, headers=auth[user])

        reviewed = _timed(
            f"bulk township review of {args.cases}",
            lambda: bulk("tr.dongcheng", township_tasks),
            figures,
        )
        assert reviewed.json()["done"] == args.cases, reviewed.text
        inbox = client.get("/tasks", params={"limit": 500}, headers=auth["ca.county"]).json()
        county_tasks = [task["id"] for task in inbox][: args.cases]
        verified = _timed(
            f"bulk county verification of {args.cases}",
            lambda: bulk("ca.county", county_tasks),
            figures,
        )
        assert verified.json()["done"] == args.cases, verified.text
        fo = auth["fo.county"]
        batch = _timed(
            "make the batch", lambda: client.post("/payouts/batches", json={}, headers=fo), figures
        ).json()
        path = f"/payouts/batches/{batch['id']}"
        for file_format in ("csv", "xlsx"):
            _timed(
                f"bank file ({file_format})",
                lambda f=file_format: client.get(  # type: ignore[misc]
                    path + "/bank-file", params={"format": f}, headers=fo
                ),
                figures,
            )
        lines = [
            {"reference": line["reference"], "status": "paid", "amount_fen": line["amount_fen"]}
            for line in batch["lines"]
        ]
        outcome = _timed(
            f"results of {len(lines)} paid lines",
            lambda: client.post(path + "/results", json={"lines": lines}, headers=fo),
            figures,
        ).json()
        assert outcome["batch"]["status"] == "settled", outcome["batch"]
        again = _timed(
            "the same results again (nothing changes)",
            lambda: client.post(path + "/results", json={"lines": lines}, headers=fo),
            figures,
        ).json()
        assert again["unchanged"] == len(lines)
        verify = client.get("/audit/verify", headers=auth["au.county"]).json()
    backend = "postgresql" if args.database_url else "sqlite"
    print(  # noqa: T201
        f"backend={backend} cases={args.cases}; batch of {batch['line_count']} lines, "
        f"{batch['total_cny']} CNY (one client, loopback HTTP)"
    )
    for figure in figures:
        print(f"  {figure}")  # noqa: T201
    print(f"audit verify: {verify}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
