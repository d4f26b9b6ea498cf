"""A burst of logins against one server process: its memory and its other pages meanwhile.

Fires ``--logins`` (80) concurrent successful logins of one demo account at a fresh
``relief serve`` (one process) and, while they run, asks a public page (``/public/notices``)
again and again. Prints the server's resident memory before and at its peak (VmHWM of
/proc/<pid>/status), the page's p50/p95/max latency during the burst, and how the logins were
answered. Three ways of sending them:

- ``--mode one-address``: all from one address: the logins-a-minute limit answers most with
  429 before any password is checked (the attack of issue 18 part 4);
- ``--mode many-addresses`` (default): each from its own address (X-Forwarded-For through the
  trusted proxy 127.0.0.1), so only the password-check slots bound them;
- ``--slots N``: RELIEF_PASSWORD_VERIFY_CONCURRENCY (default: the service's, half the cores);
  ``--slots 80 --wait 30`` with many addresses is how the service behaved before the slots.

    .venv/bin/python bench/logins.py [--backend sqlite|postgres] [--mode …] [--slots N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEMO_PASSWORD, bench_database, percentiles_ms, serving  # noqa: E402

USER = "cw.lizhuang"


def memory_mib(pid: int) -> tuple[float, float]:
    """Resident memory of the process now and at its peak so far, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def burst(url: str, *, logins: int, many_addresses: bool) -> tuple[Counter[int], list[float]]:
    """The logins at once, and the public page's latencies (seconds) while they run."""
    done = asyncio.Event()
    latencies: list[float] = []

    async def page() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            while not done.is_set():
                started = time.perf_counter()
                response = await client.get("/public/notices")
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)

    async def login(client: httpx.AsyncClient, address: str) -> int:
        response = await client.post(
            "/api/v1/auth/token",
            data={"username": USER, "password": DEMO_PASSWORD},
            headers={"X-Forwarded-For": address},
        )
        return response.status_code

    limits = httpx.Limits(max_connections=logins + 10)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        sampler = asyncio.create_task(page())
        await asyncio.sleep(0.5)  # a few samples before, so the page is warm
        latencies.clear()
        addresses = [
            f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" if many_addresses else "10.0.0.1"
            for n in (uuid.uuid4().int % 2**24 for _ in range(logins))
        ]
        statuses = await asyncio.gather(*(login(client, a) for a in addresses))
        done.set()
        await sampler
    return Counter(statuses), latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--logins", type=int, default=80)
    parser.add_argument("--mode", choices=["one-address", "many-addresses"])
    parser.add_argument("--slots", type=int, help="RELIEF_PASSWORD_VERIFY_CONCURRENCY")
    parser.add_argument("--wait", type=float, help="RELIEF_PASSWORD_VERIFY_WAIT_SECONDS")
    args = parser.parse_args()
    many = args.mode != "one-address"
    with bench_database(args.backend) as database:
        database.env["RELIEF_LOGIN_MAX_PER_MINUTE"] = "20"  # the default, not the tests' 10000
        if args.slots:
            database.env["RELIEF_PASSWORD_VERIFY_CONCURRENCY"] = str(args.slots)
        if args.wait is not None:
            database.env["RELIEF_PASSWORD_VERIFY_WAIT_SECONDS"] = str(args.wait)
        with serving(database) as served:
            before, _ = memory_mib(served.pid)
            started = time.perf_counter()
            statuses, latencies = asyncio.run(
                burst(served.url, logins=args.logins, many_addresses=many)
            )
            took = time.perf_counter() - started
            _, peak = memory_mib(served.pid)
    p50, p95, _ = percentiles_ms(latencies)
    answered = ", ".join(f"{count}× {status}" for status, count in sorted(statuses.items()))
    mode = "many addresses" if many else "one address"
    slots = args.slots or "default (half the cores)"
    print(f"{args.logins} logins of {USER} from {mode}, {args.backend}, slots {slots}:")  # noqa: T201
    print(f"  answered {answered} in {took:.1f} s")  # noqa: T201
    print(f"  server memory {before:.0f} MiB before, peak {peak:.0f} MiB")  # noqa: T201
    print(  # noqa: T201
        f"  /public/notices during the burst: {len(latencies)} requests, p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
