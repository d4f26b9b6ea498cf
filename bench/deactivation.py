"""How long a deactivated user's token keeps working: the window the user cache leaves.

Serves a fresh database with ``--workers`` server processes (2), logs a demo caseworker in,
has the administrator deactivate them (``POST /people/{u}/deactivate``), then asks
``/auth/me`` with the caseworker's token on new connections (the kernel spreads them over the
processes) until ``--quiet`` (40) answers in a row are 401. Prints, per round, the seconds from
the deactivation's answer to the last 200 and to the first of the 401 run, and how many 200s
were answered after the deactivation. Each round reactivates the user (a new password) first.

    .venv/bin/python bench/deactivation.py [--backend sqlite|postgres] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DEMO_PASSWORD, bench_database, serving  # noqa: E402

USER, ADMIN = "cw.lizhuang", "admin"


def token(base: str, username: str, password: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": username, "password": password}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def round_trip(base: str, admin: dict[str, str], password: str, quiet: int) -> tuple[float, ...]:
    bearer = {"Authorization": f"Bearer {token(base, USER, password)}"}
    for _ in range(20):  # every process has the user in its cache before the deactivation
        with httpx.Client(base_url=base) as fresh:
            assert fresh.get("/api/v1/auth/me", headers=bearer).status_code == 200
    done = httpx.post(
        f"{base}/api/v1/people/{USER}/deactivate", headers=admin, json={"reason": "bench"}
    )
    done.raise_for_status()
    deactivated = time.monotonic()
    last_ok, first_refused, still_ok, refused_run = 0.0, 0.0, 0, 0
    while refused_run < quiet:
        with httpx.Client(base_url=base) as fresh:  # a new connection: any process
            status = fresh.get("/api/v1/auth/me", headers=bearer).status_code
        now = time.monotonic() - deactivated
        if status == 200:
            last_ok, still_ok, refused_run = now, still_ok + 1, 0
        else:
            if refused_run == 0:
                first_refused = now
            refused_run += 1
        time.sleep(0.02)
    return last_ok, first_refused, float(still_ok)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quiet", type=int, default=40)
    args = parser.parse_args()
    with bench_database(args.backend) as database, serving(database, workers=args.workers) as srv:
        base = srv.url
        admin = {"Authorization": f"Bearer {token(base, ADMIN, DEMO_PASSWORD)}"}
        password = DEMO_PASSWORD
        print(f"{args.backend}, {args.workers} server processes, RELIEF_USER_CACHE_SECONDS 5")  # noqa: T201
        for number in range(1, args.rounds + 1):
            last_ok, first_refused, still_ok = round_trip(base, admin, password, args.quiet)
            print(  # noqa: T201
                f"round {number}: last 200 at {last_ok:.2f} s, refused from {first_refused:.2f} s"
                f" ({still_ok:.0f} answers of 200 after the deactivation)"
            )
            again = httpx.post(
                f"{base}/api/v1/people/{USER}/reactivate", headers=admin, json={"reason": "bench"}
            )
            again.raise_for_status()
            one_time = again.json()["one_time_password"]
            time.sleep(5.5)  # the other processes read the reactivated row again
            bearer = {"Authorization": f"Bearer {token(base, USER, one_time)}"}
            new = "bench lanterns over the harbour " + str(number)
            httpx.post(
                f"{base}/api/v1/auth/password",
                headers=bearer,
                json={"current_password": one_time, "new_password": new},
            ).raise_for_status()
            password = new


if __name__ == "__main__":
    main()
