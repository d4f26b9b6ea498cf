"""Time complete emergency-consolation chains through a real server (not a test: prints numbers).

    .venv/bin/python bench/chain.py [--cases 20] [--database-url postgresql+asyncpg://…]

Starts ``relief serve`` on a fresh database (a temporary SQLite file unless a PostgreSQL URL of
an empty database is given), then for each case: submit, attach the six required documents,
and complete the five tasks as the demo users, one client, sequentially. Prints the time of a
whole chain and of single completions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CHAIN, fresh_server, percentiles_ms  # noqa: E402
from harness import DEMO_PASSWORD  # noqa: E402
from tests.factories import EC_DOCUMENTS, PDF, application  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with fresh_server(args.database_url) as base:
        client = httpx.Client(base_url=f"{base}/api/v1", timeout=30)
        headers = {}
        for user in (*CHAIN, "au.county"):
            token = client.post(
                "/auth/token", data={"username": user, "password": DEMO_PASSWORD}
            ).json()["access_token"]
            headers[user] = {"Authorization": f"Bearer {token}"}
        chains, completions = [], []
        for _ in range(args.cases):
            started = time.perf_counter()
            case = client.post("/applications", json=application(), headers=headers["cw.lizhuang"])
            case_id = case.json()["id"]
            for kind in EC_DOCUMENTS:
                client.post(
                    f"/applications/{case_id}/documents",
                    data={"kind": kind},
                    files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
                    headers=headers["cw.lizhuang"],
                ).raise_for_status()
            for user in CHAIN:
                task = client.get(
                    "/tasks", params={"application_id": case_id}, headers=headers[user]
                )
                data = {"bank_reference": f"B{case_id}"} if user == "fo.county" else {}
                t0 = time.perf_counter()
                done = client.post(
                    f"/tasks/{task.json()[0]['id']}/complete",
                    json={"decision": "approve", "data": data},
                    headers=headers[user],
                )
                completions.append(time.perf_counter() - t0)
                done.raise_for_status()
            assert done.json()["status"] == "paid"
            chains.append(time.perf_counter() - started)
        verify = client.get("/audit/verify", headers=headers["au.county"]).json()
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"backend={backend} cases={args.cases} (sequential, one client, loopback HTTP)")  # noqa: T201
    print(  # noqa: T201
        f"full chain (submit + 6 documents + 5 inbox reads + 5 completions): "
        f"median {statistics.median(chains) * 1000:.1f} ms, p95 {percentiles_ms(chains)[1]:.1f} ms"
    )
    print(  # noqa: T201
        f"single completion: median {statistics.median(completions) * 1000:.1f} ms, "
        f"p95 {percentiles_ms(completions)[1]:.1f} ms"
    )
    print(f"audit verify: {verify}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
