"""Shared by the fault tests: run ``relief doctor``, drive cases to the end, read the money."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

import sqlalchemy as sa

from tests.conftest import Api, Backend, relief_cli

# Who acts at each role, per village the tests use (every user of the demo data).
ACTORS = {
    "130123100201": {  # 李庄村, 东城镇
        "caseworker": "cw.lizhuang",
        "village_head": "vh.lizhuang",
        "township_reviewer": "tr.dongcheng",
        "county_approver": "ca.county",
        "finance_officer": "fo.county",
    },
    "130123200201": {  # 河口村, 西河乡
        "caseworker": "cw.hekou",
        "village_head": "vh.hekou",
        "township_reviewer": "tr.xihe",
        "county_approver": "ca.county",
        "finance_officer": "fo.county",
    },
}
CHAIN = ("caseworker", "village_head", "township_reviewer", "county_approver", "finance_officer")


def doctor(backend: Backend) -> subprocess.CompletedProcess[str]:
    return relief_cli(backend.env, "doctor", check=False)


def problem_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Every line but the closing summary: one per problem found."""
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, result.stdout + result.stderr
    assert lines[-1].startswith("doctor: "), result.stdout + result.stderr
    return lines[:-1]


def finish(api: Api, case_id: int, village: str, *, steps: int = 12) -> str:
    """Drive a case to its end whatever step it stands at: attach what is missing, approve
    each ready task as the user of its role. Returns the final status."""
    users = ACTORS[village]
    for _ in range(steps):
        case = api.case(case_id)
        ready = [task for task in case["tasks"] if task["status"] == "ready"]
        if not ready:
            return str(case["status"])
        [task] = ready
        if task["role"] == "caseworker":
            for kind in case["missing_documents"]:
                response = api.attach(case_id, kind, as_=users["caseworker"])
                assert response.status_code == 201, response.text
        user = users[task["role"]]
        data = {"bank_reference": f"BOC-{case_id}"} if task["role"] == "finance_officer" else None
        response = api.decide(task["id"], "approve", as_=user, data=data)
        assert response.status_code == 200, response.text
    raise AssertionError(f"case {case_id} did not end in {steps} steps")


def scalar_rows(backend: Backend, sql: str) -> Sequence[sa.Row]:
    with backend.engine.connect() as connection:
        return connection.execute(sa.text(sql)).all()


def doubled_payouts(backend: Backend) -> Sequence[sa.Row]:
    """(case, period, n) of every period paid or owed more than once; none is the answer."""
    return scalar_rows(
        backend,
        "SELECT application_id, period, COUNT(*) FROM payout "
        "GROUP BY application_id, period HAVING COUNT(*) > 1",
    )


def paid_events_per_case(backend: Backend) -> dict[int, int]:
    rows = scalar_rows(
        backend,
        "SELECT application_id, COUNT(*) FROM audit_event WHERE action = 'payout_paid' "
        "GROUP BY application_id",
    )
    return {int(row[0]): int(row[1]) for row in rows}


def audit_verify(backend: Backend) -> subprocess.CompletedProcess[str]:
    return relief_cli(backend.env, "audit", "verify", check=False)
