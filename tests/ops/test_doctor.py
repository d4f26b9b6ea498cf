"""``relief doctor`` can fail: each kind of damage written straight into the database is
reported against the case it hurts, with exit 1, and a sound case is never named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import PDF, VILLAGE_LIZHUANG, application
from tests.flows.helpers import own_server
from tests.ops.helpers import ACTORS, doctor, finish, problem_lines

USERS = ACTORS[VILLAGE_LIZHUANG]


def named(lines: list[str], case_id: int) -> list[str]:
    return [line for line in lines if re.match(rf"case {case_id}\b", line)]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_doctor_names_each_damaged_case_and_exits_1(kind: str, tmp_path: Path) -> None:
    with own_server(kind, tmp_path) as server:
        api = server.api
        assert api is not None
        ids = []
        for _ in range(8):
            case = api.submit(application(), as_=USERS["caseworker"])
            api.attach_required(case["id"])
            ids.append(case["id"])
        lost_row, wrong_status, wrong_lane, unreferenced, sound, withdrawn, revoked, rejected = ids
        # Ended by a command, not by the flow: cancelled workflows, which are consistent too.
        response = api.post(
            f"/applications/{withdrawn}/withdraw", as_=USERS["caseworker"], json={"reason": "搬迁"}
        )
        assert response.status_code == 200, response.text
        assert finish(api, revoked, VILLAGE_LIZHUANG) == "paid"
        response = api.post(
            f"/applications/{revoked}/revoke",
            as_=USERS["county_approver"],
            data={"reason": "虚报"},
            files={"evidence": ("evidence.pdf", PDF, "application/pdf")},
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "revoked"
        api.act(rejected, "approve", as_=USERS["caseworker"])
        api.act(rejected, "reject", as_=USERS["village_head"])
        api.act(lost_row, "approve", as_=USERS["caseworker"])  # waits on the village head
        for user in ("caseworker", "village_head", "township_reviewer"):
            api.act(wrong_lane, "approve", as_=USERS[user])  # waits on the county
        for case_id in (unreferenced, sound):
            assert finish(api, case_id, VILLAGE_LIZHUANG) == "paid"

        healthy = doctor(server.backend)
        assert problem_lines(healthy) == [], healthy.stdout
        assert healthy.returncode == 0

        with server.backend.engine.begin() as db:
            db.execute(
                sa.text(
                    "UPDATE task SET status = 'cancelled' WHERE application_id = :id "
                    "AND status = 'ready'"
                ),
                {"id": lost_row},
            )
            db.execute(
                sa.text("UPDATE application SET status = 'approved' WHERE id = :id"),
                {"id": wrong_status},
            )
            db.execute(
                sa.text(
                    "UPDATE task SET role = 'finance_officer' WHERE application_id = :id "
                    "AND status = 'ready'"
                ),
                {"id": wrong_lane},
            )
            db.execute(
                sa.text("UPDATE payout SET bank_reference = NULL WHERE application_id = :id"),
                {"id": unreferenced},
            )

        result = doctor(server.backend)

        assert result.returncode == 1, result.stdout + result.stderr
        lines = problem_lines(result)
        [line] = named(lines, lost_row)
        assert "village_cosign" in line
        assert "has no ready row" in line
        assert sorted(named(lines, wrong_status)) == [
            f"case {wrong_status}: approved, but its payout is none instead of pending",
            f"case {wrong_status}: status is approved but the workflow says in_progress",
        ]
        [line] = named(lines, wrong_lane)
        assert "for finance_officer" in line
        assert "in lane county_approver" in line
        [line] = named(lines, unreferenced)
        assert "paid without a bank reference" in line
        for case_id in (sound, withdrawn, revoked, rejected):
            assert named(lines, case_id) == []
        assert len(lines) == 5, lines
        assert result.stdout.splitlines()[-1].endswith(": 5 problem(s)")
